//! Plain WS-RM message types, independent of XML (the codecs come in a later `wire`
//! module). Shapes follow the WS-RM 1.1 schema (spec-facts §2); 1.0 differences are noted.
//!
//! A SOAP message with several RM headers (say an application message carrying a
//! `Sequence`, an `AckRequested` and a piggy-backed `SequenceAcknowledgement` for the
//! reverse sequence) is split by the runtime into one [`Message`] per RM element, passed
//! in document order with the same proof of origin.

use core::fmt;
use core::time::Duration;
use std::sync::Arc;

use crate::binding::{SecurityBinding, TokenRef};

/// The highest message number WS-RM allows: xs:unsignedLong restricted to 1 … 2^63−1
/// (WS-RM 1.1 §3.7 `MessageNumber`).
pub const MAX_MESSAGE_NUMBER: u64 = (1 << 63) - 1;

/// A sequence `wsrm:Identifier`: an absolute URI, treated as an opaque string (gSOAP
/// sends identifiers that are not valid UUIDs).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SequenceId(Arc<str>);

impl SequenceId {
    /// Wraps an identifier.
    pub fn new(id: impl AsRef<str>) -> Self {
        Self(Arc::from(id.as_ref()))
    }

    /// The identifier text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Heap bytes held (for memory accounting).
    pub(crate) fn heap_bytes(&self) -> usize {
        // Arc<str>: two reference counts and the bytes.
        2 * size_of::<usize>() + self.0.len()
    }
}

impl fmt::Debug for SequenceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SequenceId({})", self.0)
    }
}

impl fmt::Display for SequenceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An endpoint reference, reduced to its address (reference parameters travel with it in
/// the runtime; WCF requires AcksTo, ReplyTo and Offer/Endpoint to match octet for octet).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EndpointRef(pub String);

/// An opaque handle to an application payload, owned by the runtime. The Source stores
/// and retransmits handles, never secured bytes (each retransmission is protected anew);
/// the Destination records and delivers the handle the runtime gave for an inbound body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PayloadRef(pub u64);

/// `wsrm:IncompleteSequenceBehavior` (WS-RM 1.1 §3.4): what the destination does with the
/// messages of a sequence that is closed or terminated with gaps. Absent means `NoDiscard`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IncompleteSequenceBehavior {
    /// Deliver nothing unless the whole sequence arrived.
    DiscardEntireSequence,
    /// Deliver only the messages before the first gap.
    DiscardFollowingFirstGap,
    /// Deliver whatever arrived.
    #[default]
    NoDiscard,
}

/// `wsrm:Offer` (WS-RM 1.1 §3.4): the initiator offers a sequence for the responses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The offered sequence's identifier (chosen by the offerer).
    pub id: SequenceId,
    /// Where the offered sequence's messages go (required in 1.1+).
    pub endpoint: EndpointRef,
    /// Requested lifetime of the offered sequence.
    pub expires: Option<Duration>,
    /// Behaviour the offerer applies to the offered sequence.
    pub incomplete: Option<IncompleteSequenceBehavior>,
}

/// CreateSequence (WS-RM 1.1 §3.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSequence {
    /// `wsrm:AcksTo`: where acknowledgements go.
    pub acks_to: EndpointRef,
    /// Requested lifetime (`xs:duration`; absent = no limit).
    pub expires: Option<Duration>,
    /// Optional offer of a reverse sequence.
    pub offer: Option<Offer>,
    /// The `wsse:SecurityTokenReference` in the body, resolved to a token identity
    /// (WS-RM 1.2 §5 Sequence-STR binding).
    pub str_token: Option<TokenRef>,
    /// Whether the `wsrm:UsesSequenceSTR` header was present (1.1+; mustUnderstand).
    pub uses_sequence_str: bool,
    /// The address the CreateSequence was sent to (its `wsa:To`), when the runtime knows
    /// it: the destination answers an accepted Offer with it as `Accept/AcksTo` (the
    /// endpoint the peer addressed, which Metro checks: `WSRM1116`), not with an address
    /// of its own making. Not written on the wire by the codecs (it is an addressing
    /// header); `None` from the codecs and for CreateSequences we send.
    pub to: Option<EndpointRef>,
}

/// A requested or granted `wsrm:Expires` as a lifetime: `PT0S` means the sequence never
/// expires (WS-RM 1.1 §3.4: "the value of PT0S indicates that the Sequence will never
/// expire"; Apache CXF always sends it), like an absent Expires, so both are `None`.
pub fn lifetime(expires: Option<Duration>) -> Option<Duration> {
    expires.filter(|d| !d.is_zero())
}

/// `wsrm:Accept` in a CreateSequenceResponse: the offered sequence was accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accept {
    /// Where acknowledgements for the offered sequence go.
    pub acks_to: EndpointRef,
}

/// CreateSequenceResponse (WS-RM 1.1 §3.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSequenceResponse {
    /// The new sequence's identifier, assigned by the destination.
    pub id: SequenceId,
    /// Granted lifetime (never longer than requested).
    pub expires: Option<Duration>,
    /// How the destination treats an incomplete sequence.
    pub incomplete: Option<IncompleteSequenceBehavior>,
    /// Present when the offer was accepted.
    pub accept: Option<Accept>,
}

/// The `wsrm:Sequence` header (WS-RM 1.1 §3.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceHeader {
    /// The sequence.
    pub id: SequenceId,
    /// The message number, 1 … [`MAX_MESSAGE_NUMBER`]; retransmissions reuse it.
    pub number: u64,
    /// WS-RM 1.0 only: the empty `wsrm:LastMessage` child.
    pub last_message: bool,
}

/// An application message: a Sequence header and the body (by handle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationMessage {
    /// The Sequence header.
    pub sequence: SequenceHeader,
    /// Whether an `AckRequested` header for the same sequence rides along.
    pub ack_requested: bool,
    /// The body; `None` for the empty-bodied WS-RM 1.0 `LastMessage` message.
    pub payload: Option<PayloadRef>,
}

/// `wsrm:AckRequested` (WS-RM 1.1 §3.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckRequested {
    /// The sequence.
    pub id: SequenceId,
}

/// An `wsrm:AcknowledgementRange` (`@Lower`, `@Upper`, inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AckRange {
    /// Lowest number covered.
    pub lower: u64,
    /// Highest number covered.
    pub upper: u64,
}

/// The body of a SequenceAcknowledgement: ranges, `None`, or Nacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckBody {
    /// One or more non-overlapping ranges, ascending.
    Ranges(Vec<AckRange>),
    /// `wsrm:None`: nothing accepted yet (1.1+).
    None,
    /// `wsrm:Nack` numbers: not received, please resend.
    Nacks(Vec<u64>),
}

/// `wsrm:SequenceAcknowledgement` (WS-RM 1.1 §3.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceAcknowledgement {
    /// The sequence.
    pub id: SequenceId,
    /// Ranges, None or Nacks.
    pub body: AckBody,
    /// `wsrm:Final` (1.1+): the destination accepts no more messages. Never with Nacks.
    pub final_: bool,
    /// `netrm:BufferRemaining`: free slots in the destination's buffer (WCF flow control).
    pub buffer_remaining: Option<u32>,
}

/// CloseSequence (WS-RM 1.1 §3.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseSequence {
    /// The sequence.
    pub id: SequenceId,
    /// The highest number the source sent; absent for an empty sequence.
    pub last_msg_number: Option<u64>,
}

/// CloseSequenceResponse (WS-RM 1.1 §3.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseSequenceResponse {
    /// The sequence.
    pub id: SequenceId,
}

/// TerminateSequence (WS-RM 1.1 §3.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminateSequence {
    /// The sequence.
    pub id: SequenceId,
    /// The highest number the source sent (1.1+).
    pub last_msg_number: Option<u64>,
}

/// TerminateSequenceResponse (WS-RM 1.1 §3.6; none in 1.0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminateSequenceResponse {
    /// The sequence.
    pub id: SequenceId,
}

/// Who caused a fault: SOAP 1.2 `Sender`/`Receiver`, SOAP 1.1 `Client`/`Server`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultCode {
    /// The message's sender is at fault.
    Sender,
    /// The fault's sender (the receiver of the message) is at fault.
    Receiver,
}

/// Why a CreateSequence was refused (detail of `CreateSequenceRefused`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalReason {
    /// The limit on open sequences was reached (WCF `netrm:ConnectionLimitReached`).
    ConnectionLimitReached,
    /// The identity that proved the CreateSequence holds its quota of open sequences
    /// (`DestinationConfig::max_open_sequences_per_identity`); other identities may still
    /// open sequences. On the wire as `ConnectionLimitReached` (Receiver: retry later)
    /// with a Reason naming the quota (issue 20: fairness by identity).
    IdentityQuotaReached,
    /// The body STR names a token other than the one that proved the CreateSequence.
    TokenMismatch,
    /// The destination requires a Sequence-STR binding and the CreateSequence had none.
    BindingRequired,
    /// WS-RM 1.1: the `UsesSequenceSTR` header and the body STR disagree (one without the other).
    UsesSequenceStrMismatch,
    /// The offered sequence identifier is already in use.
    OfferRejected,
    /// Decoded from a peer's `CreateSequenceRefused` that names no reason this crate
    /// knows (only `netrm:ConnectionLimitReached` travels on the wire; the other reasons
    /// are local diagnostics, written as the fault's Reason text).
    Unspecified,
}

/// A Destination quota on what one identity (and all of them) may make it keep (issue
/// 20: fairness by identity). Reaching one refuses the message with a retryable SOAP
/// Receiver fault naming it; nothing else changes, so the Source resends it later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quota {
    /// Messages the sequences bound to one identity keep for delivery: held for order
    /// plus delivered and not yet handed over
    /// ([`crate::DestinationConfig::max_pending_per_identity`]).
    PendingDeliveriesPerIdentity,
    /// The same over every sequence ([`crate::DestinationConfig::max_pending`]).
    PendingDeliveriesTotal,
}

impl Quota {
    /// The quota's name, for fault reasons, logs and metric labels.
    pub fn name(self) -> &'static str {
        match self {
            Self::PendingDeliveriesPerIdentity => "pending_deliveries_per_identity",
            Self::PendingDeliveriesTotal => "pending_deliveries_total",
        }
    }
}

/// The fault kinds (WS-RM 1.1 §4 and spec-facts §2.1), plus the one WS-Security fault
/// this crate raises for a message that does not carry the proof its sequence is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// `wsrm:SequenceTerminated` (§4.2): unrecoverable error, the sequence is gone.
    SequenceTerminated,
    /// `wsrm:UnknownSequence` (§4.3).
    UnknownSequence,
    /// `wsrm:InvalidAcknowledgement` (§4.4): acks unsent messages or breaks the invariant.
    InvalidAcknowledgement,
    /// `wsrm:MessageNumberRollover` (§4.5).
    MessageNumberRollover,
    /// `wsrm:CreateSequenceRefused` (§4.6).
    CreateSequenceRefused(RefusalReason),
    /// `wsrm:SequenceClosed` (§4.7, 1.1+).
    SequenceClosed,
    /// `wsrm:WSRMRequired` (§4.8, 1.1+).
    WsrmRequired,
    /// `wsrm:LastMessageNumberExceeded` (1.0).
    LastMessageNumberExceeded,
    /// `wsse:FailedAuthentication` (WSS 1.0 §12): the message was not proven by the token
    /// its sequence is bound to. Not a WS-RM fault; the SOAP layer encodes it.
    FailedAuthentication,
    /// A Destination quota was reached ([`Quota`]): a SOAP Receiver fault (retry later)
    /// with no WS-RM subcode, its Reason naming the quota. Not a WS-RM fault.
    QuotaReached(Quota),
}

/// Fault detail data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultDetail {
    /// No detail.
    None,
    /// The sequence identifier.
    Identifier(SequenceId),
    /// `MessageNumberRollover`: the identifier and the maximum number.
    MaxMessageNumber(SequenceId, u64),
    /// `InvalidAcknowledgement`: the offending acknowledgement.
    Acknowledgement(Box<SequenceAcknowledgement>),
}

/// A WS-RM fault, before SOAP encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RmFault {
    /// Which fault.
    pub kind: FaultKind,
    /// Sender or Receiver.
    pub code: FaultCode,
    /// Detail data.
    pub detail: FaultDetail,
}

impl RmFault {
    /// The sequence this fault is about, when its detail names one.
    pub fn sequence(&self) -> Option<&SequenceId> {
        match &self.detail {
            FaultDetail::Identifier(id) | FaultDetail::MaxMessageNumber(id, _) => Some(id),
            FaultDetail::Acknowledgement(ack) => Some(&ack.id),
            FaultDetail::None => None,
        }
    }
}

/// One WS-RM message (or one RM header of a SOAP message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// CreateSequence.
    CreateSequence(CreateSequence),
    /// CreateSequenceResponse.
    CreateSequenceResponse(CreateSequenceResponse),
    /// An application message (or the 1.0 LastMessage).
    Application(ApplicationMessage),
    /// A stand-alone (or piggy-backed) AckRequested.
    AckRequested(AckRequested),
    /// A stand-alone (or piggy-backed) SequenceAcknowledgement.
    SequenceAcknowledgement(SequenceAcknowledgement),
    /// CloseSequence.
    CloseSequence(CloseSequence),
    /// CloseSequenceResponse.
    CloseSequenceResponse(CloseSequenceResponse),
    /// TerminateSequence.
    TerminateSequence(TerminateSequence),
    /// TerminateSequenceResponse.
    TerminateSequenceResponse(TerminateSequenceResponse),
    /// A fault.
    Fault(RmFault),
}

impl Message {
    /// The sequence the message touches, if it names one.
    pub fn sequence_id(&self) -> Option<&SequenceId> {
        match self {
            Self::CreateSequence(_) => None,
            Self::CreateSequenceResponse(m) => Some(&m.id),
            Self::Application(m) => Some(&m.sequence.id),
            Self::AckRequested(m) => Some(&m.id),
            Self::SequenceAcknowledgement(m) => Some(&m.id),
            Self::CloseSequence(m) => Some(&m.id),
            Self::CloseSequenceResponse(m) => Some(&m.id),
            Self::TerminateSequence(m) => Some(&m.id),
            Self::TerminateSequenceResponse(m) => Some(&m.id),
            Self::Fault(f) => f.sequence(),
        }
    }
}

/// Where a transmitted message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// To the other party of the sequence: the Source's destination endpoint, or for
    /// a Destination the sequence's AcksTo.
    Peer(EndpointRef),
    /// As the reply to the message being handled (e.g. on the HTTP response), or to its
    /// ReplyTo/FaultTo: used for CreateSequenceResponse and faults.
    Reply,
}

/// A message to send, with the token that must protect it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub route: Route,
    /// The message.
    pub message: Message,
    /// A SequenceAcknowledgement header to piggy-back (e.g. the final ack on a Close or
    /// Terminate response).
    pub ack: Option<SequenceAcknowledgement>,
    /// The token that must sign it (the sequence's binding); `None` = unsigned.
    pub protect_with: Option<SecurityBinding>,
}
