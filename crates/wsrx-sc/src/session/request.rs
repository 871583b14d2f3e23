//! Building the session's RSTs and reading the RSTRs that answer them.

use std::time::SystemTime;

use wsrx_crypto::SecureRandom;
use wsrx_security::Signer;
use wsrx_security::x509::{X509SignConfig, X509Signer};
use wsrx_soap::{AddressingHeaders, Envelope};
use wsrx_xml::Document;

use super::{LossReason, Pending, SctRecord, Session, SessionError, SessionEvent, Transmit};
use crate::dialect::RequestType;
use crate::entropy::{key_from_response, request_entropy};
use crate::error::{LocalError, TrustFault};
use crate::message::write_request;
use crate::sct::EstablishedSct;
use crate::trust::{BinarySecret, Lifetime, ProofToken, Rst, Rstr, SecretType};
use crate::util::new_uuid_urn;

impl<R: SecureRandom> Session<R> {
    fn new_rst(
        &mut self,
        kind: RequestType,
        now: SystemTime,
    ) -> Result<(Rst, Option<wsrx_crypto::SecretKey>), LocalError> {
        let mut rst = Rst::new(self.config.dialect, kind);
        let entropy = if matches!(kind, RequestType::Issue | RequestType::Renew) {
            if let Some(l) = self.config.lifetime {
                rst.lifetime = Some(Lifetime {
                    created: Some(now),
                    expires: Some(now + l),
                });
            }
            request_entropy(
                &mut rst,
                self.config.entropy,
                self.config.key_size_bits,
                &mut self.rng,
            )?
        } else {
            None
        };
        Ok((rst, entropy))
    }

    fn queue(
        &mut self,
        endpoint: &str,
        kind: RequestType,
        message_id: String,
        envelope: String,
        entropy: Option<wsrx_crypto::SecretKey>,
        now: SystemTime,
    ) -> Result<(), SessionError> {
        let action = self
            .config
            .dialect
            .rst_action(kind)
            .ok_or(LocalError::Usage("no such action in this dialect"))?;
        self.transmits.push_back(Transmit {
            endpoint: endpoint.to_owned(),
            action,
            message_id: message_id.clone(),
            envelope,
        });
        let slot = self.slots.entry(endpoint.to_owned()).or_default();
        slot.pending = Some(Pending {
            message_id,
            kind,
            entropy,
            deadline: now + self.config.response_timeout,
        });
        Ok(())
    }

    /// Sends the Issue RST (bootstrap credentials in its security header).
    pub(super) fn send_issue(
        &mut self,
        endpoint: &str,
        now: SystemTime,
    ) -> Result<(), SessionError> {
        let (mut rst, entropy) = self.new_rst(RequestType::Issue, now)?;
        rst.context = Some(new_uuid_urn(&mut self.rng).map_err(LocalError::from)?);
        let message_id = new_uuid_urn(&mut self.rng).map_err(LocalError::from)?;
        let security = match (&self.config.credentials, &self.config.x509) {
            (Some(c), None) => Some(c.security_header(self.config.soap, now, &mut self.rng)?),
            _ => None,
        };
        let envelope = write_request(
            self.config.soap,
            self.config.wsa,
            endpoint,
            &message_id,
            security.as_deref(),
            &rst,
        )?;
        let envelope = match self.config.x509.clone() {
            Some(credential) => {
                let doc = Document::parse(envelope.as_bytes()).map_err(|_| LocalError::Writer)?;
                X509Signer::new(&credential, X509SignConfig::default())
                    .secure(&doc, now, &mut self.rng)
                    .map_err(|_| LocalError::Usage("signing the request failed"))?
            }
            None => envelope,
        };
        self.queue(
            endpoint,
            RequestType::Issue,
            message_id,
            envelope,
            entropy,
            now,
        )
    }

    /// Sends a Renew, Cancel or Amend RST for `endpoint`'s context, signed with its key.
    pub(super) fn send_signed(
        &mut self,
        endpoint: &str,
        kind: RequestType,
        claims: Vec<String>,
        now: SystemTime,
    ) -> Result<(), SessionError> {
        let token = self
            .slots
            .get(endpoint)
            .and_then(|s| s.token.clone())
            .ok_or(LocalError::Usage("no context for this endpoint"))?;
        let (mut rst, entropy) = self.new_rst(kind, now)?;
        if kind != RequestType::Amend {
            rst.target = Some(token.unattached_reference());
        }
        rst.claims = claims;
        let message_id = new_uuid_urn(&mut self.rng).map_err(LocalError::from)?;
        let unsigned = write_request(
            self.config.soap,
            self.config.wsa,
            endpoint,
            &message_id,
            None,
            &rst,
        )?;
        let doc = Document::parse(unsigned.as_bytes()).map_err(|_| LocalError::Writer)?;
        let sct = token.token();
        let envelope = Signer::new(&sct, &token.secret, self.config.sign.clone())
            .secure(&doc, now, &mut self.rng)
            .map_err(|_| LocalError::Usage("signing the request failed"))?;
        self.queue(endpoint, kind, message_id, envelope, entropy, now)
    }

    /// Handles a response (RSTR or fault) to one of our requests.
    ///
    /// # Errors
    /// [`SessionError::Unexpected`] when `doc` answers none of our pending requests; a
    /// response that matches but cannot be used is reported through events instead.
    pub fn handle_rstr(&mut self, now: SystemTime, doc: &Document) -> Result<(), SessionError> {
        let env =
            Envelope::new(doc).map_err(|_| SessionError::Unexpected("not a SOAP envelope"))?;
        let headers = AddressingHeaders::parse(&env)
            .ok()
            .flatten()
            .ok_or(SessionError::Unexpected("no addressing headers"))?;
        let related = headers
            .relates_to
            .first()
            .map(|r| r.message_id.clone())
            .ok_or(SessionError::Unexpected("no RelatesTo"))?;
        let endpoint = self
            .slots
            .iter()
            .find(|(_, s)| s.pending.as_ref().is_some_and(|p| p.message_id == related))
            .map(|(e, _)| e.clone())
            .ok_or(SessionError::Unexpected("answers no pending request"))?;
        let pending = self
            .slots
            .get_mut(&endpoint)
            .and_then(|s| s.pending.take())
            .ok_or(SessionError::Unexpected("answers no pending request"))?;
        let answer = match env.fault() {
            Some(f) => Err(f
                .ok()
                .and_then(|f| TrustFault::from_fault(&f))
                .unwrap_or(TrustFault::RequestFailed("unrecognized fault"))),
            None => env
                .payload()
                .and_then(|p| Rstr::parse(p).ok())
                .ok_or(TrustFault::InvalidRequest("unreadable response")),
        };
        match pending.kind {
            RequestType::Issue => self.issued(&endpoint, answer, &pending, now),
            RequestType::Renew => self.renewed(&endpoint, answer, &pending, now),
            RequestType::Cancel => {
                if let Some(t) = self.slots.get_mut(&endpoint).and_then(|s| s.token.take()) {
                    self.persist.push_back(SctRecord::Ended {
                        identifier: t.identifier.clone(),
                    });
                    if answer.is_ok_and(|r| r.cancelled) {
                        self.events.push_back(SessionEvent::Cancelled {
                            identifier: t.identifier,
                        });
                    }
                }
            }
            RequestType::Amend => {}
        }
        Ok(())
    }

    /// X.509 bootstrap: the RSTR with its `xenc:EncryptedKey` proof token and entropy
    /// decrypted with our certificate's key (XML-Enc §5.4.2).
    fn decrypt_key_material(&mut self, rstr: &Rstr) -> Result<Rstr, &'static str> {
        let credential = self
            .config
            .x509
            .clone()
            .ok_or("encrypted key but no certificate credential")?;
        let mut out = rstr.clone();
        if let Some(ProofToken::EncryptedKey(ek)) = &rstr.proof {
            let value = ek
                .decrypt(&credential, &mut self.rng)
                .map_err(|_| "cannot decrypt the proof token")?;
            out.proof = Some(ProofToken::BinarySecret(BinarySecret {
                kind: SecretType::SymmetricKey,
                value,
            }));
        }
        if let Some(ek) = out.encrypted_entropy.take() {
            if out.entropy.is_some() {
                return Err("two issuer entropies");
            }
            let value = ek
                .decrypt(&credential, &mut self.rng)
                .map_err(|_| "cannot decrypt the issuer entropy")?;
            out.entropy = Some(BinarySecret {
                kind: SecretType::Nonce,
                value,
            });
        }
        Ok(out)
    }

    fn established(
        &mut self,
        endpoint: &str,
        rstr: &Rstr,
        pending: &Pending,
        now: SystemTime,
    ) -> Result<EstablishedSct, &'static str> {
        let sct = rstr.token.as_ref().ok_or("no RequestedSecurityToken")?;
        if sct.version != self.config.dialect.sc_version() {
            return Err("token of another WS-SC version");
        }
        let decrypted;
        let rstr = if matches!(rstr.proof, Some(ProofToken::EncryptedKey(_)))
            || rstr.encrypted_entropy.is_some()
        {
            decrypted = self.decrypt_key_material(rstr)?;
            &decrypted
        } else {
            rstr
        };
        let secret = key_from_response(rstr, pending.entropy.as_ref(), self.config.key_size_bits)?;
        let lifetime = rstr.lifetime.unwrap_or(Lifetime {
            created: None,
            expires: None,
        });
        let created = lifetime.created.unwrap_or(now);
        let expires = lifetime
            .expires
            .or_else(|| self.config.lifetime.map(|l| created + l))
            .ok_or("no Lifetime")?;
        if expires <= now {
            return Err("already expired");
        }
        Ok(EstablishedSct {
            identifier: sct.identifier.clone(),
            instance: sct.instance.clone(),
            secret,
            created: created.min(now),
            expires,
            version: sct.version,
            endpoint: endpoint.to_owned(),
        })
    }

    fn issued(
        &mut self,
        endpoint: &str,
        answer: Result<Rstr, TrustFault>,
        pending: &Pending,
        now: SystemTime,
    ) {
        let result = answer.map_err(Some).and_then(|r| {
            self.established(endpoint, &r, pending, now)
                .map_err(|_| None)
        });
        match result {
            Ok(t) => {
                self.persist.push_back(SctRecord::New(t.clone()));
                self.events.push_back(SessionEvent::Established {
                    endpoint: endpoint.to_owned(),
                    identifier: t.identifier.clone(),
                });
                let slot = self.slots.entry(endpoint.to_owned()).or_default();
                slot.token = Some(t);
                slot.in_use = false;
            }
            Err(fault) => self.events.push_back(SessionEvent::EstablishFailed {
                endpoint: endpoint.to_owned(),
                fault,
            }),
        }
    }

    fn renewed(
        &mut self,
        endpoint: &str,
        answer: Result<Rstr, TrustFault>,
        pending: &Pending,
        now: SystemTime,
    ) {
        let Some(old) = self.slots.get(endpoint).and_then(|s| s.token.clone()) else {
            return;
        };
        let result = match answer {
            Err(f) => Err(LossReason::RenewRefused(f)),
            Ok(r) => self
                .established(endpoint, &r, pending, now)
                .map_err(LossReason::BadResponse)
                .and_then(|t| {
                    if t.identifier == old.identifier {
                        Ok(t)
                    } else {
                        Err(LossReason::BadResponse("renewal changed the identifier"))
                    }
                }),
        };
        let slot = self.slots.entry(endpoint.to_owned()).or_default();
        match result {
            Ok(t) => {
                slot.in_use = false;
                slot.token = Some(t.clone());
                self.events.push_back(SessionEvent::Renewed {
                    identifier: t.identifier.clone(),
                    instance: t.instance.clone(),
                });
                self.persist.push_back(SctRecord::Renewed(t));
            }
            Err(reason) => {
                slot.token = None;
                slot.in_use = false;
                self.lose(old.identifier, reason);
            }
        }
    }

    /// Sends an Amend RST (WS-SC 1.3/1.4 dialect) adding `claims` (XML fragments) to
    /// `endpoint`'s context, signed with its key. The response needs no handling.
    ///
    /// # Errors
    /// [`SessionError::Local`] without a live context or in the 2005/02 dialect.
    pub fn amend(
        &mut self,
        endpoint: &str,
        claims: Vec<String>,
        now: SystemTime,
    ) -> Result<(), SessionError> {
        if self.config.dialect.rst_action(RequestType::Amend).is_none() {
            return Err(LocalError::Usage("the 2005/02 dialect has no Amend").into());
        }
        self.send_signed(endpoint, RequestType::Amend, claims, now)
    }
}
