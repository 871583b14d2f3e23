//! Whole SOAP messages around RST/RSTR bodies: WS-Addressing headers, an optional
//! security header, and the request/response pairing by `wsa:MessageID`/`RelatesTo`.

use wsrx_soap::{AddressingHeaders, EnvelopeWriter, OutboundAddressing, SoapVersion, WsaVersion};

use crate::dialect::{Dialect, RequestType};
use crate::error::{LocalError, TrustFault};
use crate::trust::{Rst, Rstr};

/// Writes a request envelope carrying `rst` to `to`, with `message_id` and, if given,
/// an already serialized `wsse:Security` header block.
///
/// # Errors
/// [`LocalError`] for an Amend in the February 2005 dialect (it has no amend action)
/// or a writer failure.
pub fn write_request(
    soap: SoapVersion,
    wsa: WsaVersion,
    to: &str,
    message_id: &str,
    security: Option<&str>,
    rst: &Rst,
) -> Result<String, LocalError> {
    let action = rst
        .dialect
        .rst_action(rst.request_type)
        .ok_or(LocalError::Usage("no such action in this dialect"))?;
    let mut env = EnvelopeWriter::new(soap);
    let mut headers = OutboundAddressing::request(wsa, to, action);
    headers.message_id = Some(message_id.to_owned());
    headers.reply_to = Some(wsrx_soap::EndpointReference::new(wsa.anonymous()));
    headers.write(&mut env, &mut |_| None);
    if let Some(sec) = security {
        env.header().raw(sec);
    }
    rst.write(env.body());
    Ok(env.finish()?)
}

fn reply_headers(
    request: Option<&AddressingHeaders<'_>>,
    action: String,
    fault: bool,
) -> OutboundAddressing {
    match request {
        Some(r) => OutboundAddressing::reply(r, action, fault),
        None => OutboundAddressing {
            to: None,
            ..OutboundAddressing::request(WsaVersion::V10, "", action)
        },
    }
}

/// Writes the response envelope for a request of `kind`: `rstr`, wrapped in a
/// `RequestSecurityTokenResponseCollection` in the 1.3 dialect when `collection`.
///
/// # Errors
/// [`LocalError`] on a writer failure or an action the dialect lacks.
pub fn write_response(
    soap: SoapVersion,
    request: Option<&AddressingHeaders<'_>>,
    kind: RequestType,
    rstr: &Rstr,
    collection: bool,
) -> Result<String, LocalError> {
    let action = rstr
        .dialect
        .rstr_action(kind)
        .ok_or(LocalError::Usage("no such action in this dialect"))?;
    let mut env = EnvelopeWriter::new(soap);
    reply_headers(request, action, false).write(&mut env, &mut |_| None);
    rstr.write(env.body(), collection && rstr.dialect == Dialect::V13);
    Ok(env.finish()?)
}

/// Writes a fault envelope for `fault`, addressed to the request's FaultTo.
///
/// # Errors
/// [`LocalError::Writer`] (never expected).
pub fn write_fault(
    soap: SoapVersion,
    dialect: Dialect,
    request: Option<&AddressingHeaders<'_>>,
    fault: TrustFault,
) -> Result<String, LocalError> {
    let wsa = request.map_or(WsaVersion::V10, |r| r.version);
    let env = EnvelopeWriter::new(soap);
    let mut env = env;
    // A WS-Trust fault is not one of the faults WS-Addressing defines: the generic SOAP
    // fault action (WS-A 1.0 SOAP Binding §6), not `…/addressing/fault`.
    reply_headers(request, wsa.soap_fault_action().to_owned(), true).write(&mut env, &mut |_| None);
    Ok(env.fault(&fault.to_fault(dialect))?)
}
