//! WS-RM faults on the wire (WS-RM 1.1 §4, spec-facts §2.1): SOAP 1.2 Code + Subcode +
//! Detail; SOAP 1.1 `faultcode` Client/Server plus the `wsrm:SequenceFault` header carrying
//! `wsrm:FaultCode` and `wsrm:Detail`. WCF's forms are read too: the `WsrmRequired`
//! spelling, the SOAP 1.1 faultcode form without a SequenceFault header, and
//! `netrm:ConnectionLimitReached` as a second-level subcode of `CreateSequenceRefused`.

use wsrx_soap::{Fault, FaultCode, QName};
use wsrx_xml::XmlWriter;

use super::model::{NS_WSSE, WireProfile, rm_version};
use super::write::write_ack;
use crate::msg::{
    FaultCode as RmFaultCode, FaultDetail, FaultKind, Quota, RefusalReason, RmFault, SequenceId,
};
use crate::version::NS_NETRM;

/// The wire name of a fault kind (its subcode's local name).
pub fn local_name(kind: FaultKind) -> &'static str {
    match kind {
        FaultKind::SequenceTerminated => "SequenceTerminated",
        FaultKind::UnknownSequence => "UnknownSequence",
        FaultKind::InvalidAcknowledgement => "InvalidAcknowledgement",
        FaultKind::MessageNumberRollover => "MessageNumberRollover",
        FaultKind::CreateSequenceRefused(_) => "CreateSequenceRefused",
        FaultKind::SequenceClosed => "SequenceClosed",
        FaultKind::WsrmRequired => "WSRMRequired",
        FaultKind::LastMessageNumberExceeded => "LastMessageNumberExceeded",
        FaultKind::FailedAuthentication => "FailedAuthentication",
        FaultKind::QuotaReached(q) => q.name(),
    }
}

fn reason(kind: FaultKind) -> &'static str {
    match kind {
        FaultKind::SequenceTerminated => {
            "The Sequence has been terminated due to an unrecoverable error."
        }
        FaultKind::UnknownSequence => {
            "The value of wsrm:Identifier is not a known Sequence identifier."
        }
        FaultKind::InvalidAcknowledgement => {
            "The SequenceAcknowledgement violates the cumulative Acknowledgement invariant."
        }
        FaultKind::MessageNumberRollover => {
            "The maximum value for wsrm:MessageNumber has been exceeded."
        }
        FaultKind::CreateSequenceRefused(RefusalReason::ConnectionLimitReached) => {
            "The server is too busy to create a sequence. Try again later."
        }
        FaultKind::CreateSequenceRefused(RefusalReason::IdentityQuotaReached) => {
            "Quota open_sequences_per_identity reached: this security context holds as many open sequences as it may. Close one, or try again later."
        }
        FaultKind::CreateSequenceRefused(RefusalReason::TokenMismatch) => {
            "The Create Sequence request has been refused: its SecurityTokenReference does not name the token that secured it."
        }
        FaultKind::CreateSequenceRefused(RefusalReason::BindingRequired) => {
            "The Create Sequence request has been refused: a sequence bound to a security token is required."
        }
        FaultKind::CreateSequenceRefused(RefusalReason::UsesSequenceStrMismatch) => {
            "The Create Sequence request has been refused: UsesSequenceSTR and the SecurityTokenReference disagree."
        }
        FaultKind::CreateSequenceRefused(RefusalReason::OfferRejected) => {
            "The Create Sequence request has been refused: the offered sequence identifier is in use."
        }
        FaultKind::CreateSequenceRefused(RefusalReason::Unspecified) => {
            "The Create Sequence request has been refused by the RM Destination."
        }
        FaultKind::SequenceClosed => "The Sequence is closed and cannot accept new messages.",
        FaultKind::WsrmRequired => "The RM Destination requires the use of WSRM.",
        FaultKind::LastMessageNumberExceeded => {
            "The value for wsrm:MessageNumber exceeds the value of the MessageNumber accompanying a LastMessage element in this Sequence."
        }
        FaultKind::FailedAuthentication => {
            "The security token could not be authenticated or authorized."
        }
        FaultKind::QuotaReached(Quota::PendingDeliveriesPerIdentity) => {
            "Quota pending_deliveries_per_identity reached: this security context has as many messages awaiting delivery as it may. Retry later."
        }
        FaultKind::QuotaReached(Quota::PendingDeliveriesTotal) => {
            "Quota pending_deliveries_total reached: the server has as many messages awaiting delivery as it may. Retry later."
        }
    }
}

/// The SOAP fault model of an RM fault in `profile`'s namespace: Code Sender/Receiver,
/// Subcode `wsrm:<kind>` (and `netrm:ConnectionLimitReached` under CreateSequenceRefused
/// when the limit was the reason, as WCF does), Detail per spec-facts §2.1 (Identifier;
/// Identifier + MaxMessageNumber; the offending SequenceAcknowledgement). The refusal
/// reasons other than the limit are only in the Reason text.
///
/// `encode` and `encode_fault` move the detail into the
/// `wsrm:SequenceFault` header for SOAP 1.1. `wsse:FailedAuthentication` is a WS-Security
/// fault: SOAP 1.1 writes its QName as the faultcode (WSS 1.0 §12).
pub fn soap_fault(profile: WireProfile, fault: &RmFault) -> Fault {
    let code = match fault.code {
        RmFaultCode::Sender => FaultCode::Sender,
        RmFaultCode::Receiver => FaultCode::Receiver,
    };
    let mut f = Fault::new(code, reason(fault.kind));
    if fault.kind == FaultKind::FailedAuthentication {
        f = f.with_subcode(NS_WSSE, "FailedAuthentication");
        f.subcode_as_soap11_code = true;
    } else if let FaultKind::QuotaReached(_) = fault.kind {
        // No subcode: a plain Receiver fault (retry later), the Reason names the quota.
    } else {
        f = f.with_subcode(profile.namespace(), local_name(fault.kind));
    }
    if matches!(
        fault.kind,
        FaultKind::CreateSequenceRefused(
            RefusalReason::ConnectionLimitReached | RefusalReason::IdentityQuotaReached
        )
    ) {
        f = f.with_subcode(NS_NETRM, "ConnectionLimitReached");
    }
    let ns = profile.namespace();
    let fragment = |write: &dyn Fn(&mut XmlWriter)| {
        let mut w = XmlWriter::with_prefixes(wsrx_soap::ns::PREFERRED_PREFIXES);
        write(&mut w);
        w.finish().ok()
    };
    let identifier = |id: &SequenceId| {
        fragment(&|w: &mut XmlWriter| {
            w.leaf(Some(ns), "Identifier", id.as_str());
        })
    };
    let detail = match &fault.detail {
        FaultDetail::None => vec![],
        FaultDetail::Identifier(id) => vec![identifier(id)],
        FaultDetail::MaxMessageNumber(id, max) => vec![
            identifier(id),
            fragment(&|w: &mut XmlWriter| {
                w.leaf(Some(ns), "MaxMessageNumber", &max.to_string());
            }),
        ],
        FaultDetail::Acknowledgement(ack) => {
            vec![fragment(&|w: &mut XmlWriter| {
                write_ack(w, profile, ack, None)
            })]
        }
    };
    f.detail = detail.into_iter().flatten().collect();
    f
}

/// The RM subcode of a fault written in the standard form (SOAP 1.1 then needs the
/// SequenceFault header).
pub(crate) fn rm_subcode(fault: &Fault) -> Option<&QName> {
    fault
        .subcode()
        .filter(|q| !fault.subcode_as_soap11_code && rm_version(Some(&q.namespace)).is_some())
}
