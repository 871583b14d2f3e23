//! Writing a [`Fault`] into an envelope in either version: the SOAP 1.2 `NotUnderstood`
//! and `Upgrade` header blocks (part 1 §5.4.7, §5.4.8) and the `Fault` element of the Body
//! (SOAP 1.2 part 1 §5.4; SOAP 1.1 §4.4).

use wsrx_xml::XML_NS;

use crate::envelope::EnvelopeWriter;
use crate::fault::{Fault, FaultCode};
use crate::ns::{SOAP11, SOAP12};
use crate::version::SoapVersion;

impl Fault {
    /// Writes the `NotUnderstood` and `Upgrade` header blocks this fault needs in
    /// SOAP 1.2 (part 1 §5.4.7, §5.4.8). Call while writing headers.
    pub fn write_headers(&self, env: &mut EnvelopeWriter) {
        if env.version() != SoapVersion::V12 {
            return;
        }
        for q in &self.not_understood {
            let w = env.header();
            w.start(Some(SOAP12), "NotUnderstood");
            let value = w.qname_value(&q.namespace, &q.local);
            w.attr(None, "qname", &value).end();
        }
        if self.code == FaultCode::VersionMismatch {
            let w = env.header();
            w.start(Some(SOAP12), "Upgrade");
            for ns in [SOAP12, SOAP11] {
                w.start(Some(SOAP12), "SupportedEnvelope");
                let value = w.qname_value(ns, "Envelope");
                w.attr(None, "qname", &value).end();
            }
            w.end();
        }
    }

    /// Writes the `Fault` element into the body.
    pub fn write_body(&self, env: &mut EnvelopeWriter) {
        let version = env.version();
        let w = env.body();
        match version {
            SoapVersion::V12 => {
                w.start(Some(SOAP12), "Fault")
                    .start(Some(SOAP12), "Code")
                    .start(Some(SOAP12), "Value");
                let code = w.qname_value(SOAP12, self.code.local(version));
                w.text(&code).end();
                for sub in &self.subcodes {
                    w.start(Some(SOAP12), "Subcode")
                        .start(Some(SOAP12), "Value");
                    let value = w.qname_value(&sub.namespace, &sub.local);
                    w.text(&value).end();
                }
                for _ in &self.subcodes {
                    w.end();
                }
                w.end();
                w.start(Some(SOAP12), "Reason")
                    .start(Some(SOAP12), "Text")
                    .attr(Some(XML_NS), "lang", "en");
                w.text(&self.reason).end().end();
                if !self.detail.is_empty() {
                    w.start(Some(SOAP12), "Detail");
                    for d in &self.detail {
                        w.raw(d);
                    }
                    w.end();
                }
                w.end();
            }
            SoapVersion::V11 => {
                w.start(Some(SOAP11), "Fault").start(None, "faultcode");
                let code = match self
                    .subcodes
                    .first()
                    .filter(|_| self.subcode_as_soap11_code)
                {
                    Some(sub) => w.qname_value(&sub.namespace, &sub.local),
                    None => w.qname_value(SOAP11, self.code.local(version)),
                };
                w.text(&code).end();
                w.leaf(None, "faultstring", &self.reason);
                if !self.detail.is_empty() {
                    w.start(None, "detail");
                    for d in &self.detail {
                        w.raw(d);
                    }
                    w.end();
                }
                w.end();
            }
        }
    }
}
