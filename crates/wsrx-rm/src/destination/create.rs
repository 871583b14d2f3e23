//! Creating inbound sequences (WS-RM 1.1 §3.4): CreateSequence accepted or refused (the
//! Sequence-STR binding of WS-RM 1.2 §5, the open-sequence limit), a repeated
//! CreateSequence answered with the sequence it created, an accepted offer registered.

use super::Destination;
use crate::binding::SecurityBinding;
use crate::error::Error;
use crate::events::DestinationEvent;
use crate::msg::{
    Accept, CreateSequence, CreateSequenceResponse, IncompleteSequenceBehavior, Message, Offer,
    RefusalReason, SequenceId, lifetime,
};
use crate::persist::{DestinationRecord, StoreOp};
use crate::time::Timestamp;
use crate::version::RmVersion;

impl Destination {
    /// Registers the reverse sequence we offered in our CreateSequence, once the peer
    /// accepted it (`SourceEvent::Created { offer_accepted: Some(accept) }`).
    pub fn register_offer(
        &mut self,
        now: Timestamp,
        offer: &Offer,
        accept: &Accept,
        binding: Option<SecurityBinding>,
    ) -> Result<(), Error> {
        if self.sequences.contains_key(&offer.id) {
            return Err(Error::InvalidState("offered sequence already registered"));
        }
        if self.sequences.len() >= self.config.max_open_sequences {
            return Err(Error::CreateSequenceRefused(
                RefusalReason::ConnectionLimitReached,
            ));
        }
        let record = DestinationRecord {
            id: offer.id.clone(),
            version: self.config.version,
            acks_to: accept.acks_to.clone(),
            binding,
            expires_at: lifetime(offer.expires).map(|d| now.saturating_add(d)),
            incomplete: match self.config.version {
                RmVersion::V1_1 => offer.incomplete.unwrap_or(self.config.incomplete),
                RmVersion::V1_0 => IncompleteSequenceBehavior::NoDiscard,
            },
            offer_id: None,
        };
        let seq = self.blank(now, &record);
        self.sequences.insert(offer.id.clone(), seq);
        self.persist.push_back(StoreOp::DestinationCreated(record));
        self.events.push_back(DestinationEvent::Created {
            id: offer.id.clone(),
            offer: None,
        });
        Ok(())
    }

    /// Answers a retransmitted CreateSequence with the CreateSequenceResponse of the
    /// sequence `id` it already created, instead of opening another one.
    ///
    /// WS-RM 1.1 §3.4 lets a Source resend a CreateSequence whose response it has not
    /// seen; every copy handled as new would open an orphan sequence that counts against
    /// `max_open_sequences` until its inactivity timeout. The runtime recognises a copy
    /// by its `wsa:MessageID` (which this sans-IO machine does not see) and asks here.
    ///
    /// Returns `false` and changes nothing when `id` is not open, or when the copy does
    /// not match it: a different proving token, STR, AcksTo or Offer. The caller then
    /// handles it as a new CreateSequence through [`Destination::handle_message`].
    pub fn answer_repeated_create(
        &mut self,
        now: Timestamp,
        proof: Option<&SecurityBinding>,
        id: &SequenceId,
        cs: &CreateSequence,
    ) -> bool {
        let Some(s) = self.sequences.get(id) else {
            return false;
        };
        let Ok(binding) = self.binding_of(proof, cs) else {
            return false;
        };
        let same_token = match &binding {
            Some(b) => proof == Some(b),
            None => true,
        };
        let same_offer = s.offer_id.as_ref() == cs.offer.as_ref().map(|o| &o.id);
        if !same_token || s.binding != binding || s.acks_to != cs.acks_to || !same_offer {
            return false;
        }
        let csr = self.create_response(id, now, cs);
        self.reply(Message::CreateSequenceResponse(csr), None, binding);
        true
    }

    /// WS-RM 1.1 §3.4 and 1.2 §5: accept or refuse a CreateSequence.
    pub(super) fn on_create(
        &mut self,
        now: Timestamp,
        proof: Option<&SecurityBinding>,
        cs: CreateSequence,
    ) -> Result<(), Error> {
        let refuse = |r| Err(Error::CreateSequenceRefused(r));
        let binding = match self.binding_of(proof, &cs) {
            Ok(b) => b,
            Err(r) => return refuse(r),
        };
        // A retransmitted CreateSequence with an offer: answer with the same sequence.
        if let Some(offer) = &cs.offer {
            let existing = self
                .sequences
                .iter()
                .find(|(_, s)| s.offer_id.as_ref() == Some(&offer.id));
            if let Some((id, s)) = existing {
                if s.binding != binding || s.acks_to != cs.acks_to {
                    return refuse(RefusalReason::OfferRejected);
                }
                let id = id.clone();
                let csr = self.create_response(&id, now, &cs);
                self.reply(Message::CreateSequenceResponse(csr), None, binding);
                return Ok(());
            }
            if self.sequences.contains_key(&offer.id) {
                return refuse(RefusalReason::OfferRejected);
            }
        }
        // The identity's own quota first: an identity at its quota is told so even when
        // the global limit is reached too (issue 20).
        if self.identity_quota_reached(binding.as_ref()) {
            return refuse(RefusalReason::IdentityQuotaReached);
        }
        if self.sequences.len() >= self.config.max_open_sequences {
            return refuse(RefusalReason::ConnectionLimitReached);
        }
        let id = self.new_id();
        let expires = self.granted_expiry(cs.expires);
        let record = DestinationRecord {
            id: id.clone(),
            version: self.config.version,
            acks_to: cs.acks_to.clone(),
            binding: binding.clone(),
            expires_at: expires.map(|d| now.saturating_add(d)),
            incomplete: self.granted_incomplete(),
            offer_id: cs.offer.as_ref().map(|o| o.id.clone()),
        };
        let seq = self.blank(now, &record);
        self.sequences.insert(id.clone(), seq);
        self.persist.push_back(StoreOp::DestinationCreated(record));
        let csr = self.create_response(&id, now, &cs);
        self.reply(Message::CreateSequenceResponse(csr), None, binding);
        self.events.push_back(DestinationEvent::Created {
            id,
            offer: cs.offer,
        });
        Ok(())
    }

    /// The IncompleteSequenceBehavior a new sequence gets: the configured one on 1.1,
    /// where CreateSequenceResponse tells the Source (WS-RM 1.1 §3.4); `NoDiscard` on 1.0,
    /// which has no such element, so a 1.0 Source could not know that acknowledged
    /// messages may be discarded and would report them delivered.
    fn granted_incomplete(&self) -> IncompleteSequenceBehavior {
        match self.config.version {
            RmVersion::V1_1 => self.config.incomplete,
            RmVersion::V1_0 => IncompleteSequenceBehavior::NoDiscard,
        }
    }

    /// The token a new sequence is bound to, or why it is refused (WS-RM 1.2 §5; the
    /// rule is `docs/sequence-binding.md`):
    /// * an STR in the body must name the very token that proved the CreateSequence
    ///   (`TokenMismatch` otherwise), and binds to it;
    /// * without an STR, a CreateSequence proven by a token is bound to that token where
    ///   the configuration allows it (`bind_to_proof`: a peer profile such as Apache
    ///   CXF's, which never writes the STR); otherwise it is refused with
    ///   `BindingRequired`, unless unbound sequences are allowed (`require_binding` off);
    /// * on WS-RM 1.1, `UsesSequenceSTR` must accompany the STR and only it
    ///   (`UsesSequenceStrMismatch`), except where `bind_to_proof` tolerates a peer that
    ///   writes one without the other: the binding is then decided by the proof as above.
    fn binding_of(
        &self,
        proof: Option<&SecurityBinding>,
        cs: &CreateSequence,
    ) -> Result<Option<SecurityBinding>, RefusalReason> {
        let binding = match (&cs.str_token, proof) {
            (Some(t), _) if proof != Some(&t.0) => return Err(RefusalReason::TokenMismatch),
            (Some(t), _) => Some(t.0.clone()),
            (None, Some(p)) if self.config.bind_to_proof => Some(p.clone()),
            (None, _) if self.config.require_binding => {
                return Err(RefusalReason::BindingRequired);
            }
            (None, _) => None,
        };
        if self.config.version == RmVersion::V1_1
            && !self.config.bind_to_proof
            && cs.uses_sequence_str != cs.str_token.is_some()
        {
            return Err(RefusalReason::UsesSequenceStrMismatch);
        }
        Ok(binding)
    }

    pub(super) fn granted_expiry(
        &self,
        requested: Option<core::time::Duration>,
    ) -> Option<core::time::Duration> {
        // PT0S asks for no expiry at all (WS-RM 1.1 §3.4), as an absent Expires does.
        let requested = lifetime(requested);
        match (requested, self.config.max_expires) {
            (Some(r), Some(m)) => Some(r.min(m)),
            (r, m) => r.or(m),
        }
    }

    pub(super) fn create_response(
        &self,
        id: &SequenceId,
        now: Timestamp,
        cs: &CreateSequence,
    ) -> CreateSequenceResponse {
        let expires = self
            .sequences
            .get(id)
            .and_then(|s| s.expires_at)
            .map(|e| e.saturating_since(now));
        CreateSequenceResponse {
            id: id.clone(),
            expires,
            incomplete: (self.config.version == RmVersion::V1_1).then_some(self.config.incomplete),
            // The endpoint the peer addressed (WS-RM 1.1 §3.4: Accept/AcksTo is where the
            // offerer sends acknowledgements of the offered sequence, i.e. this endpoint
            // as the peer knows it); our configured address only when it is unknown.
            accept: cs.offer.as_ref().map(|_| Accept {
                acks_to: cs.to.clone().unwrap_or_else(|| self.local.clone()),
            }),
        }
    }

    /// A fresh identifier: a version-4 UUID URN from the injected random source.
    pub(super) fn new_id(&mut self) -> SequenceId {
        loop {
            let (a, b) = ((self.random)(), (self.random)());
            let a = (a & !0xF000) | 0x4000;
            let b = (b & !(0xC << 60)) | (0x8 << 60);
            let id = SequenceId::new(format!(
                "urn:uuid:{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                a >> 32,
                (a >> 16) & 0xFFFF,
                a & 0xFFFF,
                b >> 48,
                b & 0xFFFF_FFFF_FFFF
            ));
            if !self.sequences.contains_key(&id) {
                return id;
            }
        }
    }
}
