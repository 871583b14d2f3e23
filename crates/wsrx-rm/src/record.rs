//! A compact binary encoding of [`StoreOp`] records, so that a store can keep them
//! as opaque bytes in a sequence's log (the store seals them) and the machines can
//! be restored from them.
//!
//! Format (version 1): one format byte (`1`), one tag byte per variant, then the
//! fields in declaration order: integers as 8 big-endian bytes, strings as a 4-byte
//! big-endian length and UTF-8 bytes, options as `0` or `1` and the value, enums as
//! one byte. Decoding is total: truncated, oversized or unknown input gives a
//! [`RecordError`], never a panic.
//!
//! Tags 1–11 are the records of the first release, read unchanged. Tag 12
//! (`SourceFailed`: id, reason, ranges) and tag 13 (`OutboundResent`: id, number, new
//! sequence, new number) were added for issue 15; a reason is one byte of kind
//! (1 fault, 2 closed by the destination, 3 terminated by the destination, 4 refused,
//! 5 invalid acknowledgement, 6 inactivity, 7 expired, 8 token lost, 9 terminated
//! locally), then for a fault its kind byte, and for a refusal (or a
//! CreateSequenceRefused fault) the refusal byte. Tag 14 is `SourceCreated` with the
//! IncompleteSequenceBehavior the destination granted, when it is a discarding one (one
//! more byte after the tag-1 fields); a `NoDiscard` sequence is still written as tag 1,
//! byte for byte as before. Tag 15 (issue 21) is `InboundRecorded` with the time the
//! message was accepted (8 more bytes after the tag-7 fields), from which the
//! sequence's inactivity timer resumes after a restart. An older wsrx refuses tags
//! 12–15 by name ([`RecordError::Invalid`]) rather than misreading them.

use thiserror::Error;

use crate::binding::SecurityBinding;
use crate::events::UndeliveredReason;
use crate::msg::{
    AckRange, EndpointRef, FaultKind, IncompleteSequenceBehavior, PayloadRef, RefusalReason,
    SequenceId,
};
use crate::persist::{DestinationRecord, SourceRecord, StoreOp};
use crate::source::state::SourceState;
use crate::time::Timestamp;
use crate::version::RmVersion;

const FORMAT: u8 = 1;
/// Longest string a record may hold (identifiers, endpoint addresses).
const MAX_STRING: usize = 64 * 1024;
/// Most ranges or numbers one record may list.
const MAX_ITEMS: usize = 1 << 20;

/// Why bytes are not a record.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The input ended early.
    #[error("record truncated")]
    Truncated,
    /// A record written by a newer wsrx.
    #[error("unknown record format {0}")]
    UnknownFormat(u8),
    /// A tag or enum value that no version defines.
    #[error("invalid record: {0}")]
    Invalid(&'static str),
    /// Bytes after the record.
    #[error("trailing bytes after the record")]
    Trailing,
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn bool(&mut self, v: bool) {
        self.u8(u8::from(v));
    }
    fn str(&mut self, s: &str) {
        self.0.extend_from_slice(&(s.len() as u32).to_be_bytes());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn opt_u64(&mut self, v: Option<u64>) {
        match v {
            Some(x) => {
                self.u8(1);
                self.u64(x);
            }
            None => self.u8(0),
        }
    }
    fn opt_str(&mut self, v: Option<&str>) {
        match v {
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
            None => self.u8(0),
        }
    }
    fn ranges(&mut self, ranges: &[AckRange]) {
        self.0
            .extend_from_slice(&(ranges.len() as u32).to_be_bytes());
        for r in ranges {
            self.u64(r.lower);
            self.u64(r.upper);
        }
    }
    fn reason(&mut self, reason: UndeliveredReason) {
        match reason {
            UndeliveredReason::Fault(kind) => {
                self.u8(1);
                self.u8(fault_code(kind));
                if let FaultKind::CreateSequenceRefused(r) = kind {
                    self.u8(refusal_code(r));
                }
            }
            UndeliveredReason::ClosedByDestination => self.u8(2),
            UndeliveredReason::TerminatedByDestination => self.u8(3),
            UndeliveredReason::Refused(r) => {
                self.u8(4);
                self.u8(refusal_code(r));
            }
            UndeliveredReason::InvalidAcknowledgement => self.u8(5),
            UndeliveredReason::InactivityTimeout => self.u8(6),
            UndeliveredReason::Expired => self.u8(7),
            UndeliveredReason::TokenLost => self.u8(8),
            UndeliveredReason::TerminatedLocally => self.u8(9),
        }
    }
    fn version(&mut self, v: RmVersion) {
        self.u8(match v {
            RmVersion::V1_0 => 0,
            RmVersion::V1_1 => 1,
        });
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], RecordError> {
        let (head, rest) = self.0.split_at_checked(n).ok_or(RecordError::Truncated)?;
        self.0 = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, RecordError> {
        Ok(*self.take(1)?.first().ok_or(RecordError::Truncated)?)
    }
    fn u64(&mut self) -> Result<u64, RecordError> {
        let b: [u8; 8] = self
            .take(8)?
            .try_into()
            .map_err(|_| RecordError::Truncated)?;
        Ok(u64::from_be_bytes(b))
    }
    fn bool(&mut self) -> Result<bool, RecordError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(RecordError::Invalid("boolean")),
        }
    }
    fn len(&mut self, max: usize) -> Result<usize, RecordError> {
        let b: [u8; 4] = self
            .take(4)?
            .try_into()
            .map_err(|_| RecordError::Truncated)?;
        let n = u32::from_be_bytes(b) as usize;
        if n > max {
            return Err(RecordError::Invalid("length over the limit"));
        }
        Ok(n)
    }
    fn string(&mut self) -> Result<String, RecordError> {
        let n = self.len(MAX_STRING)?;
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| RecordError::Invalid("string is not UTF-8"))
    }
    fn opt_u64(&mut self) -> Result<Option<u64>, RecordError> {
        Ok(if self.bool()? {
            Some(self.u64()?)
        } else {
            None
        })
    }
    fn opt_string(&mut self) -> Result<Option<String>, RecordError> {
        Ok(if self.bool()? {
            Some(self.string()?)
        } else {
            None
        })
    }
    fn version(&mut self) -> Result<RmVersion, RecordError> {
        match self.u8()? {
            0 => Ok(RmVersion::V1_0),
            1 => Ok(RmVersion::V1_1),
            _ => Err(RecordError::Invalid("RM version")),
        }
    }
    fn id(&mut self) -> Result<SequenceId, RecordError> {
        Ok(SequenceId::new(self.string()?))
    }
    fn ranges(&mut self) -> Result<Vec<AckRange>, RecordError> {
        let n = self.len(MAX_ITEMS)?;
        let mut ranges = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            ranges.push(AckRange {
                lower: self.u64()?,
                upper: self.u64()?,
            });
        }
        Ok(ranges)
    }
    fn reason(&mut self) -> Result<UndeliveredReason, RecordError> {
        Ok(match self.u8()? {
            1 => {
                let kind = match self.u8()? {
                    5 => FaultKind::CreateSequenceRefused(refusal_from(self.u8()?)?),
                    code => fault_from(code)?,
                };
                UndeliveredReason::Fault(kind)
            }
            2 => UndeliveredReason::ClosedByDestination,
            3 => UndeliveredReason::TerminatedByDestination,
            4 => UndeliveredReason::Refused(refusal_from(self.u8()?)?),
            5 => UndeliveredReason::InvalidAcknowledgement,
            6 => UndeliveredReason::InactivityTimeout,
            7 => UndeliveredReason::Expired,
            8 => UndeliveredReason::TokenLost,
            9 => UndeliveredReason::TerminatedLocally,
            _ => return Err(RecordError::Invalid("undelivered reason")),
        })
    }
}

fn fault_code(kind: FaultKind) -> u8 {
    match kind {
        FaultKind::SequenceTerminated => 1,
        FaultKind::UnknownSequence => 2,
        FaultKind::InvalidAcknowledgement => 3,
        FaultKind::MessageNumberRollover => 4,
        FaultKind::CreateSequenceRefused(_) => 5,
        FaultKind::SequenceClosed => 6,
        FaultKind::WsrmRequired => 7,
        FaultKind::LastMessageNumberExceeded => 8,
        FaultKind::FailedAuthentication => 9,
    }
}

/// Every fault kind but CreateSequenceRefused (5), which carries its refusal byte.
fn fault_from(code: u8) -> Result<FaultKind, RecordError> {
    Ok(match code {
        1 => FaultKind::SequenceTerminated,
        2 => FaultKind::UnknownSequence,
        3 => FaultKind::InvalidAcknowledgement,
        4 => FaultKind::MessageNumberRollover,
        6 => FaultKind::SequenceClosed,
        7 => FaultKind::WsrmRequired,
        8 => FaultKind::LastMessageNumberExceeded,
        9 => FaultKind::FailedAuthentication,
        _ => return Err(RecordError::Invalid("fault kind")),
    })
}

fn refusal_code(r: RefusalReason) -> u8 {
    match r {
        RefusalReason::ConnectionLimitReached => 1,
        RefusalReason::TokenMismatch => 2,
        RefusalReason::BindingRequired => 3,
        RefusalReason::UsesSequenceStrMismatch => 4,
        RefusalReason::OfferRejected => 5,
        RefusalReason::Unspecified => 6,
    }
}

fn refusal_from(code: u8) -> Result<RefusalReason, RecordError> {
    Ok(match code {
        1 => RefusalReason::ConnectionLimitReached,
        2 => RefusalReason::TokenMismatch,
        3 => RefusalReason::BindingRequired,
        4 => RefusalReason::UsesSequenceStrMismatch,
        5 => RefusalReason::OfferRejected,
        6 => RefusalReason::Unspecified,
        _ => return Err(RecordError::Invalid("refusal reason")),
    })
}

fn state_code(s: SourceState) -> u8 {
    match s {
        SourceState::Creating => 0,
        SourceState::Active => 1,
        SourceState::Closing => 2,
        SourceState::Closed => 3,
        SourceState::Terminating => 4,
        SourceState::Terminated => 5,
    }
}

fn state_from(code: u8) -> Result<SourceState, RecordError> {
    Ok(match code {
        0 => SourceState::Creating,
        1 => SourceState::Active,
        2 => SourceState::Closing,
        3 => SourceState::Closed,
        4 => SourceState::Terminating,
        5 => SourceState::Terminated,
        _ => return Err(RecordError::Invalid("source state")),
    })
}

fn isb_code(b: IncompleteSequenceBehavior) -> u8 {
    match b {
        IncompleteSequenceBehavior::DiscardEntireSequence => 0,
        IncompleteSequenceBehavior::DiscardFollowingFirstGap => 1,
        IncompleteSequenceBehavior::NoDiscard => 2,
    }
}

fn isb_from(code: u8) -> Result<IncompleteSequenceBehavior, RecordError> {
    Ok(match code {
        0 => IncompleteSequenceBehavior::DiscardEntireSequence,
        1 => IncompleteSequenceBehavior::DiscardFollowingFirstGap,
        2 => IncompleteSequenceBehavior::NoDiscard,
        _ => return Err(RecordError::Invalid("incomplete-sequence behaviour")),
    })
}

/// The bytes of `op`.
pub fn encode(op: &StoreOp) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(64));
    w.u8(FORMAT);
    match op {
        StoreOp::SourceCreated(r) => {
            // Tag 1 as first written; tag 14 adds a granted discarding behaviour.
            let discarding = r.incomplete != IncompleteSequenceBehavior::NoDiscard;
            w.u8(if discarding { 14 } else { 1 });
            w.str(r.id.as_str());
            w.version(r.version);
            w.str(&r.to.0);
            w.opt_str(r.binding.as_ref().map(SecurityBinding::as_str));
            w.opt_u64(r.expires_at.map(Timestamp::millis));
            if discarding {
                w.u8(isb_code(r.incomplete));
            }
        }
        StoreOp::OutboundStored {
            id,
            number,
            payload,
            last,
        } => {
            w.u8(2);
            w.str(id.as_str());
            w.u64(*number);
            w.opt_u64(payload.map(|p| p.0));
            w.bool(*last);
        }
        StoreOp::OutboundAcked { id, ranges } => {
            w.u8(3);
            w.str(id.as_str());
            w.0.extend_from_slice(&(ranges.len() as u32).to_be_bytes());
            for r in ranges {
                w.u64(r.lower);
                w.u64(r.upper);
            }
        }
        StoreOp::SourceStateChanged {
            id,
            state,
            last_number,
        } => {
            w.u8(4);
            w.str(id.as_str());
            w.u8(state_code(*state));
            w.opt_u64(*last_number);
        }
        StoreOp::SourceTerminated { id } => {
            w.u8(5);
            w.str(id.as_str());
        }
        StoreOp::DestinationCreated(r) => {
            w.u8(6);
            w.str(r.id.as_str());
            w.version(r.version);
            w.str(&r.acks_to.0);
            w.opt_str(r.binding.as_ref().map(SecurityBinding::as_str));
            w.opt_u64(r.expires_at.map(Timestamp::millis));
            w.u8(isb_code(r.incomplete));
            w.opt_str(r.offer_id.as_ref().map(SequenceId::as_str));
        }
        StoreOp::InboundRecorded {
            id,
            number,
            payload,
            delivered,
            last,
            at,
        } => {
            // Tag 15: tag 7 and the time it was accepted; tag 7 (no time) is still
            // written byte for byte as before when the time is unknown.
            w.u8(if at.is_some() { 15 } else { 7 });
            w.str(id.as_str());
            w.u64(*number);
            w.opt_u64(payload.map(|p| p.0));
            w.bool(*delivered);
            w.bool(*last);
            if let Some(at) = at {
                w.u64(at.0);
            }
        }
        StoreOp::DeliveredThrough { id, number } => {
            w.u8(8);
            w.str(id.as_str());
            w.u64(*number);
        }
        StoreOp::Discarded { id, numbers } => {
            w.u8(9);
            w.str(id.as_str());
            w.0.extend_from_slice(&(numbers.len() as u32).to_be_bytes());
            for n in numbers {
                w.u64(*n);
            }
        }
        StoreOp::DestinationClosed { id, last_number } => {
            w.u8(10);
            w.str(id.as_str());
            w.opt_u64(*last_number);
        }
        StoreOp::DestinationTerminated { id } => {
            w.u8(11);
            w.str(id.as_str());
        }
        StoreOp::SourceFailed {
            id,
            reason,
            undelivered,
        } => {
            w.u8(12);
            w.str(id.as_str());
            w.reason(*reason);
            w.ranges(undelivered);
        }
        StoreOp::OutboundResent {
            id,
            number,
            on,
            new_number,
        } => {
            w.u8(13);
            w.str(id.as_str());
            w.u64(*number);
            w.str(on.as_str());
            w.u64(*new_number);
        }
    }
    w.0
}

/// The record in `bytes`.
pub fn decode(bytes: &[u8]) -> Result<StoreOp, RecordError> {
    let mut r = Reader(bytes);
    let format = r.u8()?;
    if format != FORMAT {
        return Err(RecordError::UnknownFormat(format));
    }
    let op = match r.u8()? {
        tag @ (1 | 14) => StoreOp::SourceCreated(SourceRecord {
            id: r.id()?,
            version: r.version()?,
            to: EndpointRef(r.string()?),
            binding: r.opt_string()?.map(SecurityBinding::new),
            expires_at: r.opt_u64()?.map(Timestamp),
            incomplete: match tag {
                14 => match isb_from(r.u8()?)? {
                    IncompleteSequenceBehavior::NoDiscard => {
                        return Err(RecordError::Invalid(
                            "tag 14 without a discarding behaviour",
                        ));
                    }
                    b => b,
                },
                _ => IncompleteSequenceBehavior::NoDiscard,
            },
        }),
        2 => StoreOp::OutboundStored {
            id: r.id()?,
            number: r.u64()?,
            payload: r.opt_u64()?.map(PayloadRef),
            last: r.bool()?,
        },
        3 => {
            let id = r.id()?;
            let n = r.len(MAX_ITEMS)?;
            let mut ranges = Vec::with_capacity(n.min(1024));
            for _ in 0..n {
                ranges.push(AckRange {
                    lower: r.u64()?,
                    upper: r.u64()?,
                });
            }
            StoreOp::OutboundAcked { id, ranges }
        }
        4 => StoreOp::SourceStateChanged {
            id: r.id()?,
            state: state_from(r.u8()?)?,
            last_number: r.opt_u64()?,
        },
        5 => StoreOp::SourceTerminated { id: r.id()? },
        6 => StoreOp::DestinationCreated(DestinationRecord {
            id: r.id()?,
            version: r.version()?,
            acks_to: EndpointRef(r.string()?),
            binding: r.opt_string()?.map(SecurityBinding::new),
            expires_at: r.opt_u64()?.map(Timestamp),
            incomplete: isb_from(r.u8()?)?,
            offer_id: r.opt_string()?.map(SequenceId::new),
        }),
        tag @ (7 | 15) => StoreOp::InboundRecorded {
            id: r.id()?,
            number: r.u64()?,
            payload: r.opt_u64()?.map(PayloadRef),
            delivered: r.bool()?,
            last: r.bool()?,
            at: if tag == 15 {
                Some(Timestamp(r.u64()?))
            } else {
                None
            },
        },
        8 => StoreOp::DeliveredThrough {
            id: r.id()?,
            number: r.u64()?,
        },
        9 => {
            let id = r.id()?;
            let n = r.len(MAX_ITEMS)?;
            let mut numbers = Vec::with_capacity(n.min(1024));
            for _ in 0..n {
                numbers.push(r.u64()?);
            }
            StoreOp::Discarded { id, numbers }
        }
        10 => StoreOp::DestinationClosed {
            id: r.id()?,
            last_number: r.opt_u64()?,
        },
        11 => StoreOp::DestinationTerminated { id: r.id()? },
        12 => StoreOp::SourceFailed {
            id: r.id()?,
            reason: r.reason()?,
            undelivered: r.ranges()?,
        },
        13 => StoreOp::OutboundResent {
            id: r.id()?,
            number: r.u64()?,
            on: r.id()?,
            new_number: r.u64()?,
        },
        _ => return Err(RecordError::Invalid("record tag")),
    };
    if !r.0.is_empty() {
        return Err(RecordError::Trailing);
    }
    Ok(op)
}

#[cfg(test)]
mod tests;
