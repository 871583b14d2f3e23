//! Between the wire model and the [`Message`]s the machines take and emit.

use super::model::{
    CreateSequenceBody, Decoded, RmBody, RmHeader, StrRef, WireBody, WireMessage, WireProfile,
};
use crate::binding::TokenRef;
use crate::msg::{
    AckRequested, ApplicationMessage, CreateSequence, Message, PayloadRef, SequenceAcknowledgement,
    Transmit,
};

impl WireMessage {
    /// The wire form of `message` with an optional piggy-backed acknowledgement (appended
    /// to the headers). A CreateSequence STR names its token by Identifier (the unattached
    /// form WCF writes, spec-facts §3.4) with the profile's SCT ValueType; an application
    /// message carries `Sequence` then `AckRequested`; a stand-alone ack or request has an
    /// empty body.
    pub fn from_message(
        message: &Message,
        ack: Option<&SequenceAcknowledgement>,
        profile: WireProfile,
    ) -> Self {
        let mut headers = Vec::new();
        let body = match message {
            Message::CreateSequence(cs) => {
                if cs.uses_sequence_str {
                    headers.push(RmHeader::UsesSequenceStr);
                }
                WireBody::Rm(RmBody::CreateSequence(CreateSequenceBody {
                    acks_to: cs.acks_to.clone(),
                    expires: cs.expires,
                    offer: cs.offer.clone(),
                    str_ref: cs.str_token.as_ref().map(|t| StrRef {
                        uri: t.0.as_str().to_owned(),
                        value_type: Some(profile.sct_value_type().to_owned()),
                    }),
                }))
            }
            Message::CreateSequenceResponse(m) => {
                WireBody::Rm(RmBody::CreateSequenceResponse(m.clone()))
            }
            Message::Application(m) => {
                headers.push(RmHeader::Sequence(m.sequence.clone()));
                if m.ack_requested {
                    headers.push(RmHeader::AckRequested(AckRequested {
                        id: m.sequence.id.clone(),
                    }));
                }
                if m.payload.is_some() {
                    WireBody::Application
                } else {
                    WireBody::Empty
                }
            }
            Message::AckRequested(m) => {
                headers.push(RmHeader::AckRequested(m.clone()));
                WireBody::Empty
            }
            Message::SequenceAcknowledgement(m) => {
                headers.push(RmHeader::SequenceAcknowledgement(m.clone()));
                WireBody::Empty
            }
            Message::CloseSequence(m) => WireBody::Rm(RmBody::CloseSequence(m.clone())),
            Message::CloseSequenceResponse(m) => {
                WireBody::Rm(RmBody::CloseSequenceResponse(m.clone()))
            }
            Message::TerminateSequence(m) => WireBody::Rm(RmBody::TerminateSequence(m.clone())),
            Message::TerminateSequenceResponse(m) => {
                WireBody::Rm(RmBody::TerminateSequenceResponse(m.clone()))
            }
            Message::Fault(f) => WireBody::Rm(RmBody::Fault(f.clone())),
        };
        if let Some(a) = ack {
            headers.push(RmHeader::SequenceAcknowledgement(a.clone()));
        }
        Self { headers, body }
    }

    /// The wire form of a [`Transmit`] (its message and piggy-backed ack).
    pub fn from_transmit(t: &Transmit, profile: WireProfile) -> Self {
        Self::from_message(&t.message, t.ack.as_ref(), profile)
    }

    /// The machine inputs this message carries, in document order: one per RM header (an
    /// `AckRequested` for the message's own sequence folds into its application message),
    /// then the body message. `payload` is the runtime's handle for an application body;
    /// `resolve` turns the CreateSequence STR into the token identity (the security layer
    /// knows which token a `#id` names; [`StrRef::token`] handles the Identifier form).
    pub fn messages(
        &self,
        payload: Option<PayloadRef>,
        resolve: &mut dyn FnMut(&StrRef) -> Option<TokenRef>,
    ) -> Vec<Message> {
        let sequence = self.headers.iter().find_map(|h| match h {
            RmHeader::Sequence(s) => Some(s),
            _ => None,
        });
        let mut out = Vec::new();
        for h in &self.headers {
            match h {
                RmHeader::Sequence(s) => out.push(Message::Application(ApplicationMessage {
                    sequence: s.clone(),
                    ack_requested: self
                        .headers
                        .iter()
                        .any(|r| matches!(r, RmHeader::AckRequested(a) if a.id == s.id)),
                    payload: if self.body == WireBody::Application {
                        payload
                    } else {
                        None
                    },
                })),
                RmHeader::AckRequested(a) => {
                    if sequence.is_none_or(|s| s.id != a.id) {
                        out.push(Message::AckRequested(a.clone()));
                    }
                }
                RmHeader::SequenceAcknowledgement(a) => {
                    out.push(Message::SequenceAcknowledgement(a.clone()));
                }
                RmHeader::UsesSequenceStr => {}
            }
        }
        if let WireBody::Rm(b) = &self.body {
            out.push(match b {
                RmBody::CreateSequence(cs) => Message::CreateSequence(CreateSequence {
                    acks_to: cs.acks_to.clone(),
                    expires: cs.expires,
                    offer: cs.offer.clone(),
                    str_token: cs.str_ref.as_ref().and_then(&mut *resolve),
                    uses_sequence_str: self.headers.contains(&RmHeader::UsesSequenceStr),
                    to: None,
                }),
                RmBody::CreateSequenceResponse(m) => Message::CreateSequenceResponse(m.clone()),
                RmBody::CloseSequence(m) => Message::CloseSequence(m.clone()),
                RmBody::CloseSequenceResponse(m) => Message::CloseSequenceResponse(m.clone()),
                RmBody::TerminateSequence(m) => Message::TerminateSequence(m.clone()),
                RmBody::TerminateSequenceResponse(m) => {
                    Message::TerminateSequenceResponse(m.clone())
                }
                RmBody::Fault(f) => Message::Fault(f.clone()),
            });
        }
        out
    }
}

impl Decoded {
    /// [`WireMessage::messages`] of the decoded message.
    pub fn messages(
        &self,
        payload: Option<PayloadRef>,
        resolve: &mut dyn FnMut(&StrRef) -> Option<TokenRef>,
    ) -> Vec<Message> {
        self.to_wire().messages(payload, resolve)
    }
}
