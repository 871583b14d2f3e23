//! Per-identity quotas of the Destination (issue 20: fairness by identity). One peer
//! holding every open sequence shuts every other peer out (`ConnectionLimitReached` for
//! all); so the sequences bound to one identity (the security context that proved their
//! CreateSequence) are bounded by `max_open_sequences_per_identity` as well as all by
//! `max_open_sequences`. The count is taken from the sequence table itself, so a
//! sequence frees its place however it ends (terminated, expired, inactive, discarded).

use super::Destination;
use crate::binding::SecurityBinding;

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
}

#[cfg(test)]
mod tests {
    use crate::binding::{SecurityBinding, TokenRef};
    use crate::msg::{
        CreateSequence, EndpointRef, FaultKind, Message, RefusalReason, TerminateSequence,
    };
    use crate::time::Timestamp;
    use crate::{Destination, DestinationConfig, Error};

    fn create(d: &mut Destination, who: &SecurityBinding) -> Result<crate::SequenceId, Error> {
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
        let mut seed = 7u64;
        let mut d = Destination::new(
            DestinationConfig {
                max_open_sequences: 10,
                max_open_sequences_per_identity: 3,
                ..DestinationConfig::default()
            },
            EndpointRef("http://dst".into()),
            Box::new(move || {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                seed
            }),
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
        assert_eq!(fault.code, crate::msg::FaultCode::Receiver, "retryable");
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
}
