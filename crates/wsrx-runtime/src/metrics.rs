//! The runtime's operational metrics, recorded through the `metrics` facade.
//!
//! This module names every metric once and records it; it installs no exporter. The
//! `wsrx serve --metrics ADDR` command installs the Prometheus exporter; a library user
//! installs any `metrics` recorder they like (without one, recording costs a branch).
//!
//! | metric | kind | meaning |
//! |---|---|---|
//! | `wsrx_open_sequences` | gauge | inbound sequences open at this destination |
//! | `wsrx_messages_delivered_total` | counter | messages handed to the application |
//! | `wsrx_retransmissions_received_total` | counter | messages received again: the peers' retransmissions of messages already recorded (acknowledged again, never delivered twice) |
//! | `wsrx_messages_released_total` | counter | messages received but not delivered: duplicates of delivered ones (acknowledged again), no reorder-buffer room, discarded |
//! | `wsrx_ack_latency_seconds` | histogram | from receiving a message to sending the acknowledgement that covers it on the back-channel (anonymous AcksTo) |
//! | `wsrx_creates_refused_total{reason}` | counter | CreateSequence refused (limit, missing or mismatched binding, …) |
//! | `wsrx_refused_total{reason}` | counter | inbound messages refused with a fault, by WS-Security/WS-RM fault subcode (SOAP code when there is none), every refusal included (binding, unknown sequence, offered sequences) |
//! | `wsrx_refused_by_identity_total{identity}` | counter | the same refusals by the SCT identifier that proved the refused message (`unauthenticated` when none): the offender on a dashboard |
//! | `wsrx_token_expiry_timestamp_seconds{token}` | gauge | when a stored security context token expires (Unix time; 0 once forgotten); time to expiry is `wsrx_token_expiry_timestamp_seconds - time()` in PromQL |
//!
//! Labels never carry secrets; token labels are SCT identifiers (public by design).

use std::time::Duration;

/// Inbound sequences open at the destination.
pub const OPEN_SEQUENCES: &str = "wsrx_open_sequences";
/// Messages handed to the application.
pub const DELIVERED: &str = "wsrx_messages_delivered_total";
/// Retransmissions received.
pub const RETRANSMISSIONS_RECEIVED: &str = "wsrx_retransmissions_received_total";
/// Messages received but not delivered.
pub const RELEASED: &str = "wsrx_messages_released_total";
/// Receive-to-acknowledgement latency.
pub const ACK_LATENCY: &str = "wsrx_ack_latency_seconds";
/// Refused CreateSequence requests.
pub const CREATES_REFUSED: &str = "wsrx_creates_refused_total";
/// Refused inbound messages.
pub const REFUSED: &str = "wsrx_refused_total";
/// Refused inbound messages by the identity that proved them.
pub const REFUSED_BY_IDENTITY: &str = "wsrx_refused_by_identity_total";
/// The identity label of a refused message no token proved.
pub const UNAUTHENTICATED: &str = "unauthenticated";
/// When a token expires.
pub const TOKEN_EXPIRY: &str = "wsrx_token_expiry_timestamp_seconds";
/// The bucket bounds (seconds) of [`ACK_LATENCY`], so that an exporter renders it as the
/// histogram it is (`_bucket{le=…}`), from 1 ms to a minute: an immediate acknowledgement
/// falls in the first buckets, a batched one (0.2 s interval) in the middle, one held by
/// back-pressure or a slow backend at the top.
pub const ACK_LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];
/// Messages kept for the application (delivered, not yet handed over; plus held).
pub const BACKLOG: &str = "wsrx_delivery_backlog";
/// New messages dropped unacknowledged because their sequence's backlog was full.
pub const BACKLOG_DROPS: &str = "wsrx_backlog_dropped_total";

/// Describes every metric to the installed recorder (call once, after installing it).
pub fn describe() {
    metrics::describe_gauge!(OPEN_SEQUENCES, "Inbound sequences open at this destination");
    metrics::describe_counter!(DELIVERED, "Messages handed to the application");
    metrics::describe_counter!(
        RETRANSMISSIONS_RECEIVED,
        "Messages received again: the peers' retransmissions of messages already recorded"
    );
    metrics::describe_counter!(
        RELEASED,
        "Messages received but not delivered (duplicates, no buffer room, discarded)"
    );
    metrics::describe_histogram!(
        ACK_LATENCY,
        metrics::Unit::Seconds,
        "From receiving a message to sending the acknowledgement covering it"
    );
    metrics::describe_counter!(
        CREATES_REFUSED,
        "CreateSequence requests refused, by reason"
    );
    metrics::describe_counter!(REFUSED, "Inbound messages refused with a fault, by reason");
    metrics::describe_counter!(
        REFUSED_BY_IDENTITY,
        "Inbound messages refused with a fault, by the identity that proved them"
    );
    metrics::describe_gauge!(
        BACKLOG,
        "Messages accepted and not yet handed over by the application (delivery queue and reorder buffer), by RM version"
    );
    metrics::describe_counter!(
        BACKLOG_DROPS,
        "New messages dropped unacknowledged because their sequence's delivery backlog was full (back-pressure), by RM version"
    );
    metrics::describe_gauge!(
        TOKEN_EXPIRY,
        metrics::Unit::Seconds,
        "When a stored security context token expires (Unix time; 0 once forgotten)"
    );
}

/// The delivery backlog of the destination of `version` and its drops so far.
pub fn backlog(version: wsrx_rm::RmVersion, total: usize, drops: u64) {
    let rm = match version {
        wsrx_rm::RmVersion::V1_0 => "1.0",
        wsrx_rm::RmVersion::V1_1 => "1.1",
    };
    metrics::gauge!(BACKLOG, "rm" => rm).set(total as f64);
    metrics::counter!(BACKLOG_DROPS, "rm" => rm).absolute(drops);
}

/// The open-sequence gauge moves by `delta`.
pub fn sequences_opened(delta: f64) {
    metrics::gauge!(OPEN_SEQUENCES).increment(delta);
}

/// The open-sequence gauge is `n` (after recovery).
pub fn sequences_open(n: usize) {
    metrics::gauge!(OPEN_SEQUENCES).set(n as f64);
}

/// One message delivered.
pub fn delivered() {
    metrics::counter!(DELIVERED).increment(1);
}

/// Retransmissions received by every server of this process, also without a metrics
/// recorder installed (`wsrx bench` reports them).
static RETRANSMISSIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A message already recorded arrived again.
pub fn retransmission_received() {
    RETRANSMISSIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    metrics::counter!(RETRANSMISSIONS_RECEIVED).increment(1);
}

/// Retransmissions of recorded messages received so far by this process's servers.
pub fn retransmissions_received_total() -> u64 {
    RETRANSMISSIONS.load(std::sync::atomic::Ordering::Relaxed)
}

/// One message received and not delivered.
pub fn released() {
    metrics::counter!(RELEASED).increment(1);
}

/// A message was acknowledged `latency` after it was received.
pub fn ack_latency(latency: Duration) {
    metrics::histogram!(ACK_LATENCY).record(latency.as_secs_f64());
}

/// A CreateSequence was refused for `reason`.
pub fn create_refused(reason: &'static str) {
    metrics::counter!(CREATES_REFUSED, "reason" => reason).increment(1);
}

/// An inbound message was refused with a fault for `reason`.
pub fn refused(reason: String) {
    metrics::counter!(REFUSED, "reason" => reason).increment(1);
}

/// One refusal, made visible: counted by `reason` and by `identity` (the SCT identifier
/// that proved the message; `None`: unauthenticated), and logged at WARN with the
/// sequence it named. `detail` is for the log only and never holds a secret.
pub fn refusal(
    reason: &str,
    identity: Option<&str>,
    sequence: Option<&str>,
    detail: &dyn std::fmt::Display,
) {
    let who = identity.unwrap_or(UNAUTHENTICATED);
    metrics::counter!(REFUSED, "reason" => reason.to_owned()).increment(1);
    metrics::counter!(REFUSED_BY_IDENTITY, "identity" => who.to_owned()).increment(1);
    tracing::warn!(
        reason,
        identity = who,
        sequence = sequence.unwrap_or("-"),
        %detail,
        "refused an inbound message"
    );
}

/// The stored token `identifier` expires at `unix_seconds` (0: forgotten).
pub fn token_expiry(identifier: String, unix_seconds: f64) {
    metrics::gauge!(TOKEN_EXPIRY, "token" => identifier).set(unix_seconds);
}

/// A stable label for a CreateSequence refusal.
pub fn refusal_label(reason: wsrx_rm::msg::RefusalReason) -> &'static str {
    use wsrx_rm::msg::RefusalReason as R;
    match reason {
        R::ConnectionLimitReached => "connection_limit_reached",
        R::IdentityQuotaReached => "open_sequences_per_identity",
        R::TokenMismatch => "token_mismatch",
        R::BindingRequired => "binding_required",
        R::UsesSequenceStrMismatch => "uses_sequence_str_mismatch",
        R::OfferRejected => "offer_rejected",
        R::Unspecified => "unspecified",
    }
}
