//! Element writers shared by the envelope encoder and the fault model: the
//! `SequenceAcknowledgement` element (a header, or the detail of InvalidAcknowledgement)
//! and the SOAP 1.1 `wsrm:SequenceFault` header. A leaf of `wire` but for the model.

use wsrx_soap::QName;
use wsrx_xml::XmlWriter;

use super::model::WireProfile;
use crate::msg::{AckBody, SequenceAcknowledgement};
use crate::version::{NS_NETRM, RmVersion};

/// `wsrm:SequenceAcknowledgement`: Identifier, ranges (Lower then Upper, as WCF) or None or
/// Nacks, Final, `netrm:BufferRemaining`. An empty range list is written as None.
pub(crate) fn write_ack(
    w: &mut XmlWriter,
    profile: WireProfile,
    ack: &SequenceAcknowledgement,
    id: Option<String>,
) {
    let ns = profile.namespace();
    let v11 = profile.rm_version() == RmVersion::V1_1;
    w.start(Some(ns), "SequenceAcknowledgement");
    if let Some(id) = id {
        w.attr(Some(wsrx_soap::ns::WSU), "Id", &id);
    }
    w.leaf(Some(ns), "Identifier", ack.id.as_str());
    let range = |w: &mut XmlWriter, lower: u64, upper: u64| {
        w.start(Some(ns), "AcknowledgementRange")
            .attr(None, "Lower", &lower.to_string())
            .attr(None, "Upper", &upper.to_string())
            .end();
    };
    match &ack.body {
        AckBody::Ranges(rs) if !rs.is_empty() => {
            for r in rs {
                range(w, r.lower, r.upper);
            }
        }
        AckBody::Ranges(_) | AckBody::None => {
            if v11 {
                w.start(Some(ns), "None").end();
            } else {
                range(w, 0, 0);
            }
        }
        AckBody::Nacks(ns_) => {
            for n in ns_ {
                w.leaf(Some(ns), "Nack", &n.to_string());
            }
        }
    }
    if ack.final_ && v11 && !matches!(ack.body, AckBody::Nacks(_)) {
        w.start(Some(ns), "Final").end();
    }
    if let Some(b) = ack.buffer_remaining {
        w.leaf(Some(NS_NETRM), "BufferRemaining", &b.to_string());
    }
    w.end();
}

/// Writes the SOAP 1.1 `wsrm:SequenceFault` header (WS-RM 1.1 §4, SequenceFaultType).
pub(crate) fn write_sequence_fault(
    w: &mut XmlWriter,
    code: &QName,
    detail: &[String],
    id: Option<String>,
) {
    let ns = code.namespace.as_str();
    w.start(Some(ns), "SequenceFault");
    if let Some(id) = id {
        w.attr(Some(wsrx_soap::ns::WSU), "Id", &id);
    }
    w.start(Some(ns), "FaultCode");
    let value = w.qname_value(ns, &code.local);
    w.text(&value).end();
    if !detail.is_empty() {
        w.start(Some(ns), "Detail");
        for d in detail {
            w.raw(d);
        }
        w.end();
    }
    w.end();
}
