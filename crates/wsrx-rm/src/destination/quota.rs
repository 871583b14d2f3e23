//! Per-identity quotas of the Destination (issue 20: fairness by identity). One peer
//! holding every open sequence shuts every other peer out (`ConnectionLimitReached` for
//! all); so the sequences bound to one identity (the security context that proved their
//! CreateSequence) are bounded by `max_open_sequences_per_identity` as well as all by
//! `max_open_sequences`. The count is taken from the sequence table itself, so a
//! sequence frees its place however it ends (terminated, expired, inactive, discarded).
//! Messages kept for delivery (held for order, or with the application) are bounded the
//! same way, per identity and in all: a new message beyond either is refused with a
//! retryable Receiver fault naming the quota before anything is recorded.

use super::Destination;
use super::sequence::Inbound;
use crate::binding::SecurityBinding;
use crate::error::Error;
use crate::msg::{Quota, SequenceId};

impl Destination {
    /// Open sequences bound to `identity`.
    pub(super) fn open_sequences_of(&self, identity: &SecurityBinding) -> usize {
        self.sequences
            .values()
            .filter(|s| s.binding.as_ref() == Some(identity))
            .count()
    }

    /// Whether a new sequence bound to `binding` would exceed its identity's quota
    /// (never for an unbound sequence: it has no identity to charge).
    pub(super) fn identity_quota_reached(&self, binding: Option<&SecurityBinding>) -> bool {
        binding.is_some_and(|b| {
            self.open_sequences_of(b) >= self.config.max_open_sequences_per_identity
        })
    }

    /// Messages kept for delivery by the sequences `charged` selects: delivered and not
    /// yet handed over, plus (when `held`) those held in the reorder buffer.
    fn pending_of(&self, charged: impl Fn(&Inbound) -> bool, held: bool) -> usize {
        self.sequences
            .values()
            .filter(|s| charged(s))
            .map(|s| {
                let kept = if held { s.held.len() } else { 0 };
                s.in_application.saturating_add(kept)
            })
            .fold(0, usize::saturating_add)
    }

    /// The pending-delivery quotas for a new message `number` on sequence `id`: its
    /// identity's ([`DestinationConfig::max_pending_per_identity`], bound sequences
    /// only), then all of them ([`DestinationConfig::max_pending`]). The next message
    /// in order is charged only what is in the application: held messages wait for it,
    /// so refusing it for them could never resolve.
    ///
    /// [`DestinationConfig::max_pending_per_identity`]: crate::DestinationConfig::max_pending_per_identity
    /// [`DestinationConfig::max_pending`]: crate::DestinationConfig::max_pending
    pub(super) fn pending_quota(&self, id: &SequenceId, number: u64) -> Result<(), Error> {
        let (per, total) = (
            self.config.max_pending_per_identity,
            self.config.max_pending,
        );
        if per == usize::MAX && total == usize::MAX {
            return Ok(());
        }
        let Some(s) = self.sequences.get(id) else {
            return Ok(());
        };
        let held = number != s.delivered_through.saturating_add(1);
        if let Some(b) = s.binding.as_ref()
            && self.pending_of(|x| x.binding.as_ref() == Some(b), held) >= per
        {
            return Err(Error::QuotaReached(
                Quota::PendingDeliveriesPerIdentity,
                id.clone(),
            ));
        }
        if self.pending_of(|_| true, held) >= total {
            return Err(Error::QuotaReached(
                Quota::PendingDeliveriesTotal,
                id.clone(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::binding::{SecurityBinding, TokenRef};
    use crate::events::DestinationEvent;
    use crate::msg::{
        ApplicationMessage, CreateSequence, EndpointRef, FaultCode, FaultKind, Message, PayloadRef,
        Quota, RefusalReason, SequenceHeader, SequenceId, TerminateSequence,
    };
    use crate::time::Timestamp;
    use crate::{Destination, DestinationConfig, Error};

    /// A Destination at `dst` under `config`, its identifiers from a seeded LCG.
    fn destination(config: DestinationConfig, seed: u64) -> Destination {
        let mut seed = seed;
        Destination::new(
            config,
            EndpointRef("http://dst".into()),
            Box::new(move || {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                seed
            }),
        )
    }

    fn create(d: &mut Destination, who: &SecurityBinding) -> Result<SequenceId, Error> {
        let cs = CreateSequence {
            acks_to: EndpointRef("http://src".into()),
            expires: None,
            offer: None,
            str_token: Some(TokenRef(who.clone())),
            uses_sequence_str: true,
            to: None,
        };
        d.handle_message(Timestamp(0), Some(who), Message::CreateSequence(cs))?;
        let mut id = None;
        while let Some(t) = d.poll_transmit() {
            if let Message::CreateSequenceResponse(r) = t.message {
                id = Some(r.id);
            }
        }
        while d.poll_persist().is_some() {}
        while d.poll_event().is_some() {}
        Ok(id.expect("a CreateSequenceResponse"))
    }

    #[test]
    fn one_identity_at_its_quota_is_refused_alone_and_a_closed_sequence_frees_a_place() {
        let mut d = destination(
            DestinationConfig {
                max_open_sequences: 10,
                max_open_sequences_per_identity: 3,
                ..DestinationConfig::default()
            },
            7,
        );
        let (insider, other) = (
            SecurityBinding::new("urn:uuid:sct-insider"),
            SecurityBinding::new("urn:uuid:sct-other"),
        );
        let mine: Vec<_> = (0..3).map(|_| create(&mut d, &insider).unwrap()).collect();
        let refused = create(&mut d, &insider).unwrap_err();
        assert_eq!(
            refused,
            Error::CreateSequenceRefused(RefusalReason::IdentityQuotaReached)
        );
        let fault = refused.fault().unwrap();
        assert_eq!(fault.code, FaultCode::Receiver, "retryable");
        assert_eq!(
            fault.kind,
            FaultKind::CreateSequenceRefused(RefusalReason::IdentityQuotaReached)
        );
        let soap = crate::wire::soap_fault(crate::wire::WireProfile::Rm11, &fault);
        assert!(
            soap.reason.contains("open_sequences_per_identity"),
            "the Reason names the quota: {}",
            soap.reason
        );
        // Another identity is not refused.
        for _ in 0..3 {
            create(&mut d, &other).unwrap();
        }
        // Terminating one of the insider's sequences frees its place.
        d.handle_message(
            Timestamp(1),
            Some(&insider),
            Message::TerminateSequence(TerminateSequence {
                id: mine[0].clone(),
                last_msg_number: None,
            }),
        )
        .unwrap();
        create(&mut d, &insider).unwrap();
    }

    fn app(
        d: &mut Destination,
        who: &SecurityBinding,
        id: &SequenceId,
        n: u64,
    ) -> Result<(), Error> {
        let r = d.handle_message(
            Timestamp(2),
            Some(who),
            Message::Application(ApplicationMessage {
                sequence: SequenceHeader {
                    id: id.clone(),
                    number: n,
                    last_message: false,
                },
                ack_requested: false,
                payload: Some(PayloadRef(n)),
            }),
        );
        while d.poll_transmit().is_some() {}
        while d.poll_persist().is_some() {}
        r
    }

    #[test]
    fn pending_deliveries_are_bounded_per_identity_and_the_next_in_order_is_never_starved() {
        let mut d = destination(
            DestinationConfig {
                max_pending_per_identity: 4,
                max_pending: 6,
                ..DestinationConfig::default()
            },
            11,
        );
        let (insider, other) = (
            SecurityBinding::new("urn:uuid:sct-insider"),
            SecurityBinding::new("urn:uuid:sct-other"),
        );
        let (b1, b2) = (
            create(&mut d, &insider).unwrap(),
            create(&mut d, &insider).unwrap(),
        );
        let a = create(&mut d, &other).unwrap();
        // B holds 4 messages out of order (a gap at 1 on each sequence): its quota.
        for (id, n) in [(&b1, 2), (&b1, 3), (&b2, 2), (&b2, 3)] {
            app(&mut d, &insider, id, n).unwrap();
        }
        let refused = app(&mut d, &insider, &b2, 4).unwrap_err();
        assert_eq!(
            refused,
            Error::QuotaReached(Quota::PendingDeliveriesPerIdentity, b2.clone())
        );
        let fault = refused.fault().unwrap();
        assert_eq!(fault.code, FaultCode::Receiver, "retryable");
        let soap = crate::wire::soap_fault(crate::wire::WireProfile::Rm11, &fault);
        assert!(
            soap.reason.contains("pending_deliveries_per_identity"),
            "{}",
            soap.reason
        );
        assert!(soap.subcode().is_none(), "not a WS-RM fault");
        // Nothing recorded; the payload is released; the acknowledgement leaves it out.
        let mut released = false;
        while let Some(e) = d.poll_event() {
            released |= matches!(e, DestinationEvent::Released { number: 4, .. });
        }
        assert!(released, "the refused payload is released");
        assert!(!d.has_received(&b2, 4));
        // Another identity is not refused, up to the global quota (4 + 2).
        app(&mut d, &other, &a, 2).unwrap();
        app(&mut d, &other, &a, 3).unwrap();
        assert_eq!(
            app(&mut d, &other, &a, 4).unwrap_err(),
            Error::QuotaReached(Quota::PendingDeliveriesTotal, a.clone())
        );
        // The next in order is admitted although B's quota is full of held messages.
        app(&mut d, &insider, &b1, 1).unwrap();
        while d.poll_event().is_some() {}
        // B1's 1..3 are in the application now: B's quota is still full...
        assert!(matches!(
            app(&mut d, &insider, &b2, 4),
            Err(Error::QuotaReached(..))
        ));
        // ...until the application hands them over; then the resent message is taken.
        for _ in 0..3 {
            d.handed_over(&b1);
        }
        app(&mut d, &insider, &b2, 4).unwrap();
        app(&mut d, &insider, &b2, 1).unwrap();
        let delivered: Vec<u64> = std::iter::from_fn(|| d.poll_event())
            .filter_map(|e| match e {
                DestinationEvent::Delivered { id, number, .. } if id == b2 => Some(number),
                _ => None,
            })
            .collect();
        assert_eq!(delivered, vec![1, 2, 3, 4], "in order, once");
    }
}
