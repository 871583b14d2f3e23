//! WS-MakeConnection 1.1 on the client (`wsrx_rm::mc`): with
//! [`ClientConfig::make_connection`](super::ClientConfig::make_connection) the client runs no
//! listener and names itself by a fresh MC anonymous URI (WS-MC 1.1 §3.1): its AcksTo, and
//! with an offer the offered sequence's Endpoint and the requests' ReplyTo. The server holds
//! what it sends there; this task fetches it with `wsmc:MakeConnection` requests to
//! [`ClientConfig::to`](super::ClientConfig::to) (§3.2) when the sans-IO [`Poller`] says so
//! (at once while messages come or `wsmc:MessagePending` says more wait, §3.3, then backing
//! off), and hands each message to the client exactly as if it had been POSTed to the
//! listener (`listener.rs`: verified, then fed to the Source or the offered sequence's
//! Destination). What the client answers to such a message (a TerminateSequenceResponse)
//! goes to the server as a request of its own, since the MakeConnection's HTTP exchange is
//! over. The driver here is thin: when to poll is the Poller's decision.

use std::time::{Duration, SystemTime};

use wsrx_rm::mc::{self, Poller, PollerConfig};
use wsrx_rm::wire::{WireBody, WireMessage};
use wsrx_soap::{Envelope, OutboundAddressing};
use wsrx_store::Backend;

use super::{Client, ClientConfig};
use crate::clock;
use crate::error::RuntimeError;
use crate::pipeline;
use crate::tap::{Direction, emit};

/// How the client polls: 100 ms after the first empty answer, doubling up to 1 s.
const POLLING: PollerConfig = PollerConfig {
    interval: Duration::from_millis(100),
    max_interval: Duration::from_secs(1),
};

/// The MC anonymous URI of a client configured for MakeConnection: a fresh one, random (a
/// UUID) so that nobody can guess it and take the client's messages (§3.1 leaves the id's
/// form to the client); `None` without MakeConnection.
///
/// # Errors
/// [`RuntimeError::Usage`] with a listener too: an addressable client needs no MakeConnection.
pub(super) fn address_for(config: &ClientConfig) -> Result<Option<String>, RuntimeError> {
    if !config.make_connection {
        return Ok(None);
    }
    if config.listen.is_some() {
        return Err(RuntimeError::Usage(
            "make_connection and listen exclude each other: an addressable client needs no \
             MakeConnection"
                .to_owned(),
        ));
    }
    let id = pipeline::new_message_id();
    let id = id.strip_prefix("urn:uuid:").unwrap_or(&id).to_owned();
    let address = mc::anonymous_uri(&id);
    tracing::info!(address = %address, "polling with MakeConnection (MC anonymous AcksTo)");
    Ok(Some(address))
}

impl<B: Backend> Client<B> {
    /// Starts the polling task, if the client uses MakeConnection.
    pub(super) fn spawn_make_connection(&self) {
        if let Some(address) = self.inner.mc_address.clone() {
            let c = self.clone();
            tokio::spawn(async move { c.make_connection_loop(address).await });
        }
    }

    /// Polls for what the server holds for `address` until the client stops. Something is
    /// expected for as long as the client runs (acknowledgements of the forward sequence,
    /// the offered sequence's messages).
    pub(super) async fn make_connection_loop(self, address: String) {
        let mut poller = Poller::new(POLLING);
        poller.expect(clock::rm_now());
        let mut stop = self.inner.stop.subscribe();
        loop {
            if *stop.borrow() {
                return;
            }
            let now = clock::rm_now();
            if poller.poll(now) {
                let (got, pending) = match self.make_connection_once(&address).await {
                    Ok(answer) => answer,
                    Err(e) => {
                        tracing::debug!(error = %e, "MakeConnection failed (polled again)");
                        (false, None)
                    }
                };
                poller.handle_answer(clock::rm_now(), got, pending);
                continue;
            }
            let wait = poller
                .poll_timeout()
                .map_or(POLLING.max_interval, |t| t.saturating_since(now));
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// One MakeConnection: whether it brought a message, and its `MessagePending` value.
    async fn make_connection_once(
        &self,
        address: &str,
    ) -> Result<(bool, Option<bool>), RuntimeError> {
        let config = &self.inner.config;
        let profile = config.profile;
        let mut addressing =
            OutboundAddressing::request(profile.wsa_version(), &config.to, mc::ACTION);
        addressing.message_id = Some(pipeline::new_message_id());
        let mut w = wsrx_xml::XmlWriter::new();
        mc::wire::write_make_connection(&mut w, address);
        let body = w
            .finish()
            .map_err(|e| RuntimeError::Io(format!("MakeConnection body: {e}")))?;
        let wire = WireMessage {
            headers: Vec::new(),
            body: WireBody::Application,
        };
        let text = pipeline::seal(
            profile,
            config.soap,
            &addressing,
            &wire,
            Some(&body),
            None,
            SystemTime::now(),
        )?;
        emit!(
            self.inner.tap.as_ref(),
            "client",
            Direction::Sent,
            &format!("MakeConnection {address}"),
            &text,
        );
        let (status, answer) = self
            .inner
            .http
            .post(&config.to, config.soap, mc::ACTION, text)
            .await?;
        let Some((hint, bytes)) = answer.filter(|(_, b)| !b.is_empty()) else {
            // §3.2 (SOAP/HTTP): nothing held, HTTP 202 and no body.
            return Ok((false, None));
        };
        if status >= 300 {
            // A fault answering the MakeConnection itself (§4), not a held message.
            return Err(RuntimeError::Peer(format!(
                "MakeConnection refused, HTTP {status}: {}",
                String::from_utf8_lossy(&bytes)
                    .chars()
                    .take(400)
                    .collect::<String>()
            )));
        }
        let pending = message_pending_of(&bytes, &config.inbound.limits);
        let reply = self.inbound(&bytes, hint).await?;
        if let Some(text) = reply.body.filter(|_| reply.status < 300) {
            // What the listener would have put on the HTTP response travels as a request.
            if let Err(e) = self
                .inner
                .http
                .post(&config.to, reply.soap, &reply.action, text)
                .await
            {
                tracing::debug!(error = %e, "answer to a message fetched by MakeConnection not sent");
            }
        }
        Ok((true, pending))
    }
}

/// The `wsmc:MessagePending` value of a message (§3.3), if it has the header.
fn message_pending_of(bytes: &[u8], limits: &wsrx_xml::Limits) -> Option<bool> {
    let doc = wsrx_xml::Document::parse_with(bytes, limits).ok()?;
    let envelope = Envelope::new(&doc).ok()?;
    envelope
        .header()?
        .child_elements()
        .find_map(mc::wire::message_pending)
}
