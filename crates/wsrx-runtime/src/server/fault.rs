//! The HTTP answer to a refused message: the SOAP fault of the request's version and
//! dialect, protected as the policy in force says when the refusal knows the proving
//! token, with the status SOAP asks for (SOAP 1.2 Part 2 §7.5.1.2: 400 for a Sender
//! fault; 500 otherwise and always in SOAP 1.1, §6.2), counted in the refusal metrics.

use std::time::SystemTime;

use wsrx_soap::{FaultCode, SoapVersion};
use wsrx_store::Backend;

use super::Server;
use crate::http::HttpReply;
use crate::metrics;
use crate::pipeline::{self, Protected, Protection, Refusal, refusal_addressing};
use crate::tap::{Direction, emit};

/// The HTTP status of a fault answer: SOAP 1.2 Part 2 §7.5.1.2 gives 400 to a Sender fault
/// (the request was wrong) and 500 to a Receiver fault (retry later); SOAP 1.1 (§6.2)
/// answers every fault with 500.
pub(super) fn fault_status(soap: SoapVersion, sender: bool) -> u16 {
    if soap == SoapVersion::V12 && sender {
        400
    } else {
        500
    }
}

impl<B: Backend> Server<B> {
    pub(super) fn fault_reply(&self, r: &Refusal) -> HttpReply {
        metrics::refusal(
            &r.fault
                .subcode()
                .map_or_else(|| format!("{:?}", r.fault.code), |q| q.local.clone()),
            r.proof.as_ref().map(wsrx_rm::SecurityBinding::as_str),
            None,
            &r.reason,
        );
        let now = SystemTime::now();
        // Faults are protected as the policy in force says, like every reply.
        let protection = r
            .proof
            .as_ref()
            .and_then(|b| Protection::for_binding(b, r.profile, self.inner.resolver.as_ref()).ok());
        let addressing = refusal_addressing(r);
        let status = fault_status(r.soap, r.fault.code == FaultCode::Sender);
        let policy = self.inner.config.inbound.sending_policy();
        match pipeline::seal_fault_under(
            r.profile,
            r.soap,
            &addressing,
            &r.fault,
            protection
                .as_ref()
                .map(|protection| Protected { protection, policy }),
            now,
        ) {
            Ok(text) => {
                emit!(
                    self.inner.tap.as_ref(),
                    "server",
                    Direction::Sent,
                    &format!(
                        "Fault({})  signed-by={}",
                        r.fault.reason,
                        protection
                            .as_ref()
                            .map_or("(unsigned)", |p| p.sct.identifier.as_str())
                    ),
                    &text,
                );
                HttpReply {
                    status,
                    soap: r.soap,
                    action: r.profile.soap_fault_action().to_owned(),
                    body: Some(text),
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot write fault");
                HttpReply {
                    status: 500,
                    soap: r.soap,
                    action: String::new(),
                    body: None,
                }
            }
        }
    }
}
