//! Duplex sequences through an Offer (WS-RM 1.1 §3.4, §3.5): the client's
//! CreateSequence offers a reverse sequence; the server's Destination accepts it
//! and the server starts a Source for it (`Source::from_accepted_offer`); the
//! client learns of the acceptance from the CreateSequenceResponse and registers
//! the offered sequence with its own Destination (`Destination::register_offer`).
//! Both directions then carry messages exactly once and in order, both sequences
//! are bound to the same token, and both close and terminate.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::collections::VecDeque;

use wsrx_rm::msg::{EndpointRef, Message, Offer, PayloadRef, SequenceId};
use wsrx_rm::{
    CreateParams, Destination, DestinationConfig, DestinationEvent, SecurityBinding, Source,
    SourceConfig, SourceEvent, SourceState, Timestamp,
};

fn rng(seed: u64) -> wsrx_rm::source::RandomSource {
    let mut s = seed;
    Box::new(move || {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        s >> 11
    })
}

/// The sequence a message concerns and whether it travels towards that
/// sequence's destination (application messages, AckRequested, Close, Terminate)
/// or back to its source (acknowledgements, responses).
fn route(msg: &Message) -> Option<(&SequenceId, bool)> {
    match msg {
        Message::Application(m) => Some((&m.sequence.id, true)),
        Message::AckRequested(m) => Some((&m.id, true)),
        Message::CloseSequence(m) => Some((&m.id, true)),
        Message::TerminateSequence(m) => Some((&m.id, true)),
        Message::SequenceAcknowledgement(m) => Some((&m.id, false)),
        Message::CloseSequenceResponse(m) => Some((&m.id, false)),
        Message::TerminateSequenceResponse(m) => Some((&m.id, false)),
        _ => None,
    }
}

struct Endpoint {
    source: Option<Source>,
    dest: Destination,
    delivered: Vec<(SequenceId, u64, PayloadRef)>,
    source_events: Vec<SourceEvent>,
    offered: Option<Offer>,
}

struct Duplex {
    now: Timestamp,
    token: SecurityBinding,
    client: Endpoint,
    server: Endpoint,
    /// (to_server, message, proof)
    link: VecDeque<(bool, Message, Option<SecurityBinding>)>,
}

impl Duplex {
    fn new(token: &str) -> Self {
        let mk = |url: &str, seed| Endpoint {
            source: None,
            dest: Destination::new(
                DestinationConfig::default(),
                EndpointRef(url.into()),
                rng(seed),
            ),
            delivered: vec![],
            source_events: vec![],
            offered: None,
        };
        Self {
            now: Timestamp(1),
            token: SecurityBinding::new(token),
            client: mk("http://client", 1),
            server: mk("http://server", 2),
            link: VecDeque::new(),
        }
    }

    fn drain(&mut self, server: bool) {
        let token = self.token.clone();
        let now = self.now;
        let ep = if server {
            &mut self.server
        } else {
            &mut self.client
        };
        let mut out = vec![];
        // Ops would be committed here; this test is about the protocol.
        while ep.dest.poll_persist().is_some() {}
        while let Some(t) = ep.dest.poll_transmit() {
            out.push(t);
        }
        while let Some(e) = ep.dest.poll_event() {
            match e {
                DestinationEvent::Delivered {
                    id,
                    number,
                    payload,
                } => ep.delivered.push((id, number, payload)),
                DestinationEvent::Created {
                    offer: Some(offer), ..
                } => {
                    // The server accepted the client's offer: start a Source for it.
                    ep.source = Some(Source::from_accepted_offer(
                        now,
                        SourceConfig::default(),
                        &offer,
                        Some(token.clone()),
                        rng(3),
                    ));
                    ep.offered = Some(offer);
                }
                _ => {}
            }
        }
        let mut accepted = None;
        if let Some(src) = ep.source.as_mut() {
            while src.poll_persist().is_some() {}
            while let Some(t) = src.poll_transmit() {
                out.push(t);
            }
            while let Some(e) = src.poll_event() {
                if let SourceEvent::Created {
                    offer_accepted: Some(accept),
                    ..
                } = &e
                {
                    accepted = Some(accept.clone());
                }
                ep.source_events.push(e);
            }
        }
        if let (Some(accept), Some(offer)) = (accepted, ep.offered.clone()) {
            // The client learns its offer was accepted: register it with its Destination.
            ep.dest
                .register_offer(now, &offer, &accept, Some(token))
                .unwrap();
            self.drain(server);
        }
        for t in out {
            if let Some(ack) = t.ack {
                self.link.push_back((
                    !server,
                    Message::SequenceAcknowledgement(ack),
                    t.protect_with.clone(),
                ));
            }
            self.link.push_back((!server, t.message, t.protect_with));
        }
    }

    fn deliver(&mut self, to_server: bool, msg: Message, proof: Option<SecurityBinding>) {
        let now = self.now;
        let ep = if to_server {
            &mut self.server
        } else {
            &mut self.client
        };
        let to_dest = match (&msg, route(&msg)) {
            (Message::CreateSequence(_), _) => true,
            (Message::CreateSequenceResponse(_), _) => false,
            (_, Some((id, towards_destination))) => {
                let ours_as_source = ep.source.as_ref().and_then(Source::id) == Some(id);
                towards_destination || !ours_as_source
            }
            _ => true,
        };
        if to_dest {
            let _ = ep.dest.handle_message(now, proof.as_ref(), msg);
        } else if let Some(s) = ep.source.as_mut() {
            let _ = s.handle_message(now, proof.as_ref(), msg);
        }
        self.drain(to_server);
    }

    fn run(&mut self) {
        for _ in 0..10_000 {
            if let Some((to_server, msg, proof)) = self.link.pop_front() {
                self.now = Timestamp(self.now.millis() + 1);
                self.deliver(to_server, msg, proof);
                continue;
            }
            // Idle: fire the earliest timer, if any.
            let next = [
                self.client.source.as_ref().and_then(Source::poll_timeout),
                self.client.dest.poll_timeout(),
                self.server.source.as_ref().and_then(Source::poll_timeout),
                self.server.dest.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(t) = next else { return };
            if t.millis() > 600_000 {
                return;
            }
            self.now = t.max(self.now);
            let now = self.now;
            for server in [false, true] {
                let ep = if server {
                    &mut self.server
                } else {
                    &mut self.client
                };
                if let Some(s) = ep
                    .source
                    .as_mut()
                    .filter(|s| s.poll_timeout().is_some_and(|d| d <= now))
                {
                    s.handle_timeout(now);
                }
                if ep.dest.poll_timeout().is_some_and(|d| d <= now) {
                    ep.dest.handle_timeout(now);
                }
                self.drain(server);
            }
        }
    }
}

#[test]
fn offered_sequence_carries_replies_both_ways_exactly_once_in_order() {
    let mut d = Duplex::new("urn:uuid:sct-duplex");
    let offer = Offer {
        id: SequenceId::new("urn:uuid:offered-by-client"),
        endpoint: EndpointRef("http://client".into()),
        expires: None,
        incomplete: None,
    };
    d.client.offered = Some(offer.clone());
    let params = CreateParams {
        to: EndpointRef("http://server".into()),
        acks_to: EndpointRef("http://client".into()),
        binding: Some(d.token.clone()),
        offer: Some(offer.clone()),
    };
    d.client.source = Some(Source::create_sequence(
        d.now,
        SourceConfig::default(),
        params,
        rng(9),
    ));
    d.drain(false);
    d.run();
    // Both sequences exist and are bound to the same token.
    let forward = d
        .client
        .source
        .as_ref()
        .unwrap()
        .id()
        .cloned()
        .expect("request sequence created");
    let reverse = d
        .server
        .source
        .as_ref()
        .expect("server started the offered sequence");
    assert_eq!(reverse.id(), Some(&offer.id));
    assert_eq!(reverse.binding(), Some(&d.token));
    assert!(
        d.client.dest.state(&offer.id).is_some(),
        "client registered the offered sequence"
    );

    // Requests one way, replies the other.
    for n in 0..5u64 {
        let now = d.now;
        d.client
            .source
            .as_mut()
            .unwrap()
            .send(now, PayloadRef(100 + n))
            .unwrap();
        d.drain(false);
        d.run();
        let now = d.now;
        d.server
            .source
            .as_mut()
            .unwrap()
            .send(now, PayloadRef(200 + n))
            .unwrap();
        d.drain(true);
        d.run();
    }
    let requests: Vec<(u64, u64)> = d
        .server
        .delivered
        .iter()
        .filter(|(id, _, _)| *id == forward)
        .map(|(_, n, p)| (*n, p.0))
        .collect();
    let replies: Vec<(u64, u64)> = d
        .client
        .delivered
        .iter()
        .filter(|(id, _, _)| *id == offer.id)
        .map(|(_, n, p)| (*n, p.0))
        .collect();
    assert_eq!(requests, (1..=5).map(|n| (n, 99 + n)).collect::<Vec<_>>());
    assert_eq!(replies, (1..=5).map(|n| (n, 199 + n)).collect::<Vec<_>>());

    // A reply on the offered sequence proven by another token is refused and not delivered.
    let forged = Message::Application(wsrx_rm::msg::ApplicationMessage {
        sequence: wsrx_rm::msg::SequenceHeader {
            id: offer.id.clone(),
            number: 6,
            last_message: false,
        },
        ack_requested: false,
        payload: Some(PayloadRef(666)),
    });
    d.deliver(
        false,
        forged,
        Some(SecurityBinding::new("urn:uuid:someone-else")),
    );
    assert_eq!(d.client.delivered.len(), 5, "a forged reply was delivered");

    // Both sides close and terminate their sequences.
    for server in [false, true] {
        let now = d.now;
        let ep = if server { &mut d.server } else { &mut d.client };
        ep.source.as_mut().unwrap().close(now).unwrap();
        d.drain(server);
        d.run();
        let now = d.now;
        let ep = if server { &mut d.server } else { &mut d.client };
        assert_eq!(ep.source.as_ref().unwrap().state(), SourceState::Closed);
        ep.source.as_mut().unwrap().terminate(now).unwrap();
        d.drain(server);
        d.run();
    }
    for ep in [&d.client, &d.server] {
        assert!(
            ep.source_events
                .iter()
                .any(|e| matches!(e, SourceEvent::Terminated(_))),
            "{:?}",
            ep.source_events
        );
    }
}
