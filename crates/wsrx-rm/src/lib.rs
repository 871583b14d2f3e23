//! # wsrx-rm: WS-ReliableMessaging bound to a WS-SecureConversation token, sans IO
//!
//! The protocol core of WS-RM 1.0 (2005/02) and 1.1/1.2 (200702): an RM [`Source`] (one
//! outbound sequence) and an RM [`Destination`] (all inbound sequences of an endpoint),
//! on plain Rust message types ([`msg`]), and the XML wire codecs for them ([`wire`]).
//!
//! **What it does not do**: no IO, no tasks, no clock, no OS randomness, no
//! cryptography, no WS-Security (the machines never see XML; the codecs only read and
//! write it). Time is an argument ([`Timestamp`]); jitter and sequence identifiers
//! come from an injected, caller-seeded random source; the proof of origin of a message
//! is an opaque [`SecurityBinding`] the runtime takes from `wsrx-security`'s verified
//! envelope.
//!
//! ## The sans-IO contract (house-style §2)
//!
//! Inputs:
//! * `handle_message(now, proof, msg)`: one parsed RM message (one per RM header of a
//!   SOAP message, in document order), with the token that proved it (`None` = unsigned);
//! * `handle_timeout(now)` when [`Source::poll_timeout`]/[`Destination::poll_timeout`]
//!   has passed;
//! * commands: [`Source::create_sequence`], [`Source::send`] (pushes back with
//!   [`Error::Backpressure`] when the in-flight window is full), [`Source::close`],
//!   [`Source::terminate`]; [`Destination::register_offer`], [`Destination::close`],
//!   [`Destination::terminate`], [`Destination::take_ack`] (piggy-backing);
//! * `restore(now, config, records, ..)` at start-up, from the durable [`StoreOp`]s.
//!
//! Outputs, drained in this order after **every** input:
//! 1. `poll_persist()` → [`StoreOp`]s. They form one batch to commit atomically (with the
//!    `Delivered` events of that input) **before** acting on anything after;
//! 2. `poll_transmit()` → [`Transmit`]s, each naming the token that must protect it;
//! 3. `poll_event()` → [`SourceEvent`]/[`DestinationEvent`];
//! 4. `poll_timeout()` → the next deadline.
//!
//! Write-ahead: the Destination emits `InboundRecorded` before any acknowledgement
//! covering the message; the Source emits `OutboundStored` before its first transmission.
//! Misuse returns a user [`Error`] ([`Error::is_user`]); nothing panics, on any input.
//!
//! ## Acknowledged means acknowledged (issue 15)
//!
//! A Source reports a message [`SourceEvent::Acknowledged`] only when a
//! `SequenceAcknowledgement` proven by the sequence's token covers it (WS-RM 1.1 §3.9),
//! and, where the destination granted a discarding IncompleteSequenceBehavior (§3.4),
//! only once no later gap can make the destination drop it. Never because of a fault, a
//! timeout, a termination, a close or a restart. A sequence that ends with messages
//! unacknowledged, however it ends (a fault such as UnknownSequence or
//! SequenceTerminated, §4; a TerminateSequence or CloseSequence from the destination,
//! §3.5–3.6; inactivity; expiry; the token lost; a local terminate), emits one
//! [`SourceEvent::Undelivered`] with the exact numbers and an [`UndeliveredReason`],
//! and records [`StoreOp::SourceFailed`] instead of `SourceTerminated`: the records and
//! payloads stay. [`Source::recover`] returns them as a [`HeldSequence`] after a
//! restart. What happens next is [`SourceConfig::on_undelivered`]: hold for an operator
//! (the default), or resend on a new sequence where [`SourceConfig::assurance`] is
//! AtLeastOnce ([`UndeliveredPolicy::effective`]). A held message resent on another
//! sequence is recorded with [`StoreOp::OutboundResent`].
//!
//! ## Binding to the security context (WS-RM 1.2 §5, spec-facts §2.2)
//!
//! A sequence created by a CreateSequence whose body STR names token X (and, on 1.1,
//! carrying `UsesSequenceSTR`) is bound to X. Every later message touching it (application
//! messages, SequenceAcknowledgement, AckRequested, CloseSequence, TerminateSequence,
//! CreateSequenceResponse and the Close/Terminate responses, faults about it) must have
//! been proven by X. Anything else is refused **before any state is read for change**: no
//! delivery, no range update, no timer refresh. The fault mapping:
//!
//! | situation | [`Error`] | fault sent (Code) |
//! |---|---|---|
//! | CreateSequence STR names a token other than its proof, or proof absent | `CreateSequenceRefused(TokenMismatch)` | `wsrm:CreateSequenceRefused` (Sender) |
//! | CreateSequence without STR, destination requires binding | `CreateSequenceRefused(BindingRequired)` | `wsrm:CreateSequenceRefused` (Sender) |
//! | 1.1: `UsesSequenceSTR` without STR, or STR without it | `CreateSequenceRefused(UsesSequenceStrMismatch)` | `wsrm:CreateSequenceRefused` (Sender) |
//! | open-sequence limit reached | `CreateSequenceRefused(ConnectionLimitReached)` | `wsrm:CreateSequenceRefused` (Receiver) |
//! | offered identifier in use by another sequence | `CreateSequenceRefused(OfferRejected)` | `wsrm:CreateSequenceRefused` (Sender) |
//! | message on a bound sequence proven by another token, or unsigned | `BindingMismatch` | `wsse:FailedAuthentication` (Sender), no detail (the sequence is not confirmed) |
//! | the same at a Source (ack, CSR, responses) | `BindingMismatch` | none (refused, reported as `SourceEvent::Refused`) |
//! | unknown identifier | `UnknownSequence` | `wsrm:UnknownSequence` (Sender) |
//! | new message on a closed sequence | `SequenceClosed` (1.0: `LastMessageNumberExceeded`) | `wsrm:SequenceClosed` / `wsrm:LastMessageNumberExceeded` (Sender) |
//! | number above the maximum | `MessageNumberRollover` | `wsrm:MessageNumberRollover` (Sender) |
//! | ack of unsent numbers / dropping acked ones | `InvalidAcknowledgement` | `wsrm:InvalidAcknowledgement` (Sender), source terminates |
//!
//! The mapping is [`Error::fault`]; faults are answered with `Route::Reply`, protected with
//! the token that proved the refused message, if any.
//!
//! ## The wire codecs ([`wire`])
//!
//! Between SOAP envelopes (`wsrx-soap` over `wsrx-xml`) and the message types, for WS-RM
//! 1.0 (2005/02) and 1.1/1.2 (200702), SOAP 1.1 and 1.2, selected by a
//! [`wire::WireProfile`]: `Rm11` (OASIS + WS-A 1.0), `Rm10Wcf` (WCF wsHttpBinding: WS-RM
//! 2005/02 + WS-A 1.0) and `Rm10Submission` (CXF: WS-RM 2005/02 + WS-A 2004/08).
//!
//! * [`wire::decode`] reads the RM header blocks (Sequence, AckRequested,
//!   SequenceAcknowledgement, UsesSequenceSTR) in document order, each with the `NodeId`
//!   of its element for signature-coverage checks, and the body (CreateSequence with its
//!   raw `wsse:SecurityTokenReference`, the responses, Close, Terminate, RM faults). It
//!   checks the schema order in the RM namespaces (WS-RM 1.1 §3), message numbers in
//!   1 … 2^63−1 (§3.7), the acknowledgement rules (§3.9), one RM version per message and
//!   an Action that agrees with the body (spec-facts §1.2), and tolerates what real peers
//!   send (spec-facts §6: gSOAP's `Final` before the ranges and `PT00H01M00S`, CXF's
//!   padded attributes, WCF's 1.0 `0-0` range and `WsrmRequired`). Refusals are typed
//!   ([`wire::DecodeError`]) and map to the faults of spec-facts §2.1.
//! * [`wire::encode`] writes them as WCF does (spec-facts §2, §3.5): RM headers first,
//!   `mustUnderstand` on Sequence and UsesSequenceSTR, an optional `wsu:Id` on every RM
//!   header and on the Body for the signature, the version's action URIs, RM faults with
//!   Subcode and Detail (SOAP 1.2) or the `wsrm:SequenceFault` header (SOAP 1.1).
//! * [`wire::WireMessage::from_transmit`] and [`wire::Decoded::messages`] connect the
//!   codecs to the machines' [`Transmit`]s and `handle_message` inputs.
//! * `wire::fuzzing` holds the decode and decode → encode → decode harnesses, run as
//!   property tests under `cargo test`.

pub mod binding;
pub mod config;
pub mod destination;
pub mod endpoint;
pub mod error;
pub mod events;
pub mod fsm;
#[doc(hidden)]
pub mod fuzzing;
pub mod mc;
pub mod msg;
pub mod persist;
pub mod ranges;
pub mod record;
pub mod rtt;
pub mod source;
pub mod time;
pub mod version;
pub mod wire;

#[cfg(test)]
mod tests;

pub use binding::{SecurityBinding, TokenRef};
pub use config::{
    AckPolicy, AckRequestPolicy, Backoff, DeliveryAssurance, DestinationConfig, SequenceStr,
    SourceConfig, UndeliveredPolicy,
};
pub use destination::{Destination, DestinationState};
pub use endpoint::{Routed, ServerEndpoint};
pub use error::Error;
pub use events::{
    DestinationEvent, SourceEvent, TerminationReason, Undelivered, UndeliveredReason,
};
pub use msg::{Message, PayloadRef, SequenceId, Transmit};
pub use persist::StoreOp;
pub use source::{CreateParams, HeldSequence, RandomSource, Recovered, Source, SourceState};
pub use time::Timestamp;
pub use version::RmVersion;
