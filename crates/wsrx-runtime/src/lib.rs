//! # wsrx-runtime: the thin tokio driver
//!
//! Drives the sans-IO machines of `wsrx-rm` over SOAP/HTTP, with every message secured
//! by `wsrx-security` under a WS-SecureConversation token, and their state in a
//! `wsrx-store` [`Store`](wsrx_store::Store) (generic over its
//! [`Backend`](wsrx_store::Backend); the binary picks SQLite).
//!
//! What it does:
//! - [`server::Server`]: the RM Destination side (one `Destination` per RM version),
//!   delivering to an application [`server::Handler`] exactly once and in order through a
//!   durable inbox (see the [`server`] docs), answering on the HTTP back-channel;
//! - [`client::Client`]: one RM Source per sequence, with `send` (back-pressured by the
//!   window), `request`, `flush`, `close`, `terminate`, resumed from the store after a
//!   restart;
//! - [`pipeline`]: inbound (parse with limits → envelope → mustUnderstand → decrypt →
//!   verify → policy → replay cache → the proving SCT becomes the RM `SecurityBinding` →
//!   RM decode) and outbound (RM encode → sign with a fresh Timestamp and derived-key
//!   nonces on every transmission), with faults from every layer mapped to the SOAP
//!   fault of the request's version and dialect;
//! - [`http`]: axum server (SOAP 1.1 `text/xml` + `SOAPAction`, SOAP 1.2
//!   `application/soap+xml; action=…`, 202 when there is nothing to answer, size and
//!   concurrency limits, graceful shutdown), the same over HTTPS, and a reqwest/rustls
//!   client;
//! - [`tls`]: rustls server (certificate, optional client-certificate authentication)
//!   and client options (extra CA roots, client identity);
//! - [`token`]: the [`token::TokenProvider`] seam: [`token::PreEstablished`],
//!   [`token::Combined`], and the WS-Trust session and token service of [`trust`];
//! - [`persist`]: `StoreOp`s as records per sequence, payloads by handle, commits on a
//!   blocking thread;
//! - [`recovery`]: security context tokens committed beside the sequences bound to them
//!   and adopted again from the store at start (no new RST after a restart);
//! - [`metrics`]: the operational metrics, through the `metrics` facade;
//! - [`gateway`]: the inbound gateway, a [`server::Handler`] handing each delivered
//!   message in order to a backend over HTTP(S), with retries and dead letters;
//! - [`proxy`]: the outbound sidecar, an HTTP front where applications without a WS-*
//!   stack POST plain SOAP to be sent on a secured, reliable sequence;
//! - [`settings`]: client and server settings read from TOML, over the defaults.
//!
//! Duplex (an Offer accepted: responses on the offered sequence) and addressable
//! AcksTo/ReplyTo (a client listener the server POSTs to) are in [`client`]/[`server`].
//!
//! What it does not do: protocol decisions (they are the machines'), MakeConnection.
//!
//! ## The driver contract (house-style §2)
//!
//! Each machine sits behind one short synchronous lock (a `Shard`, never held across
//! an `.await`). After every input (an inbound message, a command, a timeout) the
//! holder drains, in order: `poll_persist` → one [`Batch`](wsrx_store::Batch)
//! *submitted* to the store ([`persist::Persistence::submit`], no IO wait; it returns a
//! [`persist::Ticket`]) → `poll_transmit` → `poll_event` → `poll_timeout` (a task sleeps
//! until it). The transmits and deliveries are tagged with the ticket. **Commit-before-
//! send**: with the lock released, the driver waits until the ticket is durable
//! ([`persist::Persistence::durable`]) before it sends a transmit or hands a message to
//! the application; a failed commit sends nothing. Concurrent inputs share one group
//! commit of the store instead of waiting for one another's fsync.
#![forbid(unsafe_code)]

pub mod admin;
pub mod client;
pub mod clock;
mod duplex;
pub mod echo;
pub mod effective;
mod entropy;
pub mod error;
pub mod gateway;
pub mod http;
pub mod lease;
pub mod metrics;
mod offered;
pub mod peer;
pub mod persist;
pub mod pipeline;
pub mod profiles;
pub mod proxy;
pub mod published;
pub mod recovery;
pub mod replay;
pub mod sequence_security;
pub mod server;
pub mod settings;
mod shard;
pub mod tap;
pub mod tls;
pub mod token;
pub mod trust;

pub use client::{Client, ClientConfig, Receipt};
pub use error::RuntimeError;
pub use server::{DeliveryInfo, Handler, Operation, Reply, Server, ServerConfig};
pub use token::{Combined, Peer, PreEstablished, ProvidedToken, TokenProvider};
