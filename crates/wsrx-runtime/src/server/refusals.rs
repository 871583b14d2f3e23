//! Every refusal visible (issue 20 item 4): each refusal of the RM machines is counted by
//! reason (`wsrx_refused_total`) and by identity (`wsrx_refused_by_identity_total`), and
//! logged at WARN naming the identity and the sequence (never a secret); and it is
//! answered with a fault, on the offered sequences too, whose Source refuses without
//! queueing an answer (the binding fault, UnknownSequence...). Which fault answers which
//! refusal is the RM crate's decision ([`wsrx_rm::Error::fault`]); this file routes it.

use wsrx_rm::msg::{Message, Route};
use wsrx_rm::{Error as RmError, SecurityBinding, Transmit};

use crate::metrics;

/// The metric label of an RM refusal: its fault's subcode, else `rm_<kind>`.
pub(super) fn label(e: &RmError) -> String {
    match e.fault() {
        Some(f) => wsrx_rm::wire::fault_name(f.kind).to_owned(),
        None => "rm_unexpected".to_owned(),
    }
}

/// Records one refusal of the RM machines of `role` ("destination", "offered").
pub(super) fn record(e: &RmError, proof: Option<&SecurityBinding>, role: &str) {
    metrics::refusal(
        &label(e),
        proof.map(SecurityBinding::as_str),
        e.sequence().map(wsrx_rm::SequenceId::as_str),
        &format_args!("{role}: {e}"),
    );
}

/// The fault answering a refusal by an offered sequence's Source, protected with the
/// token that proved the refused message (none: unsigned), unless `queued` already holds
/// a fault the Source made itself (InvalidAcknowledgement).
pub(super) fn offered_fault(
    e: &RmError,
    proof: Option<&SecurityBinding>,
    queued: &[Transmit],
) -> Option<Transmit> {
    if queued
        .iter()
        .any(|t| matches!(t.message, Message::Fault(_)))
    {
        return None;
    }
    Some(Transmit {
        route: Route::Reply,
        message: Message::Fault(e.fault()?),
        ack: None,
        protect_with: proof.cloned(),
    })
}
