//! WS-RM Policy assertions to [`RmConfig`] (WS-RM Policy 1.0 §2; WS-RM Policy 1.2 §2).

use crate::error::{Refusal, RefusalReason};
use crate::normal::Assertion;
use crate::ns;
use crate::xml::XmlElement;

use super::mapper::{Mapper, refuse, refuse_parameter, unknown_parameter};
use super::rm::{
    DeliveryAssurance, DeliveryGuarantee, FlowControl, RmConfig, RmVersion,
    SequenceBindingRequirement,
};
use super::table::Context;

/// True for the namespaces of this module.
pub(crate) fn is_rm(namespace: &str) -> bool {
    matches!(
        namespace,
        ns::RMP10 | ns::RMP11 | ns::NETRMP | ns::NET_RM_POLICY
    )
}

/// Collects the RM assertions of one alternative.
#[derive(Debug, Default)]
pub(crate) struct RmBuilder {
    rm: Option<RmConfig>,
    /// `netrmp:*` and `net:RmFlowControl` beside the RMAssertion.
    loose: Vec<Assertion>,
}

impl RmBuilder {
    pub(crate) fn add(&mut self, m: &mut Mapper, a: &Assertion) -> Result<(), Refusal> {
        match (a.name.namespace.as_str(), a.name.local.as_str()) {
            (ns::RMP10 | ns::RMP11, "RMAssertion") => {
                if self.rm.is_some() {
                    return Err(refuse(
                        a,
                        RefusalReason::Conflict(
                            "a second wsrmp:RMAssertion in the same alternative".to_owned(),
                        ),
                    ));
                }
                self.rm = Some(rm_assertion(m, a)?);
            }
            _ => self.loose.push(a.clone()),
        }
        Ok(())
    }

    pub(crate) fn finish(self, m: &mut Mapper) -> Result<Option<RmConfig>, Refusal> {
        let Some(mut rm) = self.rm else {
            for a in &self.loose {
                m.ignore(
                    a,
                    "no wsrmp:RMAssertion in the alternative: nothing to tune",
                );
            }
            return Ok(None);
        };
        for a in &self.loose {
            match a.name.local.as_str() {
                "InactivityTimeout" => rm.inactivity_timeout_ms = Some(milliseconds(a, None)?),
                "AcknowledgementInterval" => {
                    rm.acknowledgement_interval_ms = Some(milliseconds(a, None)?)
                }
                _ => rm.flow_control = Some(flow_control(a)?),
            }
        }
        Ok(Some(rm))
    }
}

fn rm_assertion(m: &mut Mapper, a: &Assertion) -> Result<RmConfig, Refusal> {
    let v10 = a.name.namespace == ns::RMP10;
    let mut rm = RmConfig {
        version: if v10 {
            RmVersion::V1_0
        } else {
            RmVersion::V1_1
        },
        sequence_binding: SequenceBindingRequirement::None,
        delivery: None,
        inactivity_timeout_ms: None,
        base_retransmission_interval_ms: None,
        exponential_backoff: false,
        acknowledgement_interval_ms: None,
        flow_control: None,
        location: a.location.clone(),
    };
    // Parameters: the 1.0 tuning, and WCF's netrmp ones.
    for p in a.parameter_elements() {
        match (p.namespace.as_str(), p.local.as_str()) {
            (ns::RMP10 | ns::NETRMP, "InactivityTimeout") => {
                rm.inactivity_timeout_ms = Some(milliseconds(a, Some(p))?);
            }
            (ns::RMP10 | ns::NETRMP, "AcknowledgementInterval") => {
                rm.acknowledgement_interval_ms = Some(milliseconds(a, Some(p))?);
            }
            (ns::RMP10, "BaseRetransmissionInterval") => {
                rm.base_retransmission_interval_ms = Some(milliseconds(a, Some(p))?);
            }
            (ns::RMP10, "ExponentialBackoff") => rm.exponential_backoff = true,
            _ => {
                return Err(unknown_parameter(a, p));
            }
        }
    }
    for n in a.nested_assertions() {
        if v10 {
            if n.ignorable {
                m.ignore(
                    n,
                    "marked wsp:Ignorable; WS-RM Policy 1.0 has no nested assertions",
                );
                continue;
            }
            return Err(refuse(
                n,
                RefusalReason::Misplaced(
                    "WS-RM Policy 1.0 RMAssertion has no nested policy assertions".to_owned(),
                ),
            ));
        }
        if m.classify(n, &[Context::Rm])?.is_none() {
            continue;
        }
        match n.name.local.as_str() {
            "SequenceSTR" | "SequenceTransportSecurity" => {
                let b = if n.name.local == "SequenceSTR" {
                    SequenceBindingRequirement::SequenceStr
                } else {
                    SequenceBindingRequirement::TransportSecurity
                };
                if rm.sequence_binding != SequenceBindingRequirement::None
                    && rm.sequence_binding != b
                {
                    return Err(refuse(
                        n,
                        RefusalReason::Conflict(
                            "wsrmp:SequenceSTR and wsrmp:SequenceTransportSecurity together"
                                .to_owned(),
                        ),
                    ));
                }
                rm.sequence_binding = b;
            }
            _ => rm.delivery = Some(delivery(m, n)?),
        }
    }
    Ok(rm)
}

fn delivery(m: &mut Mapper, a: &Assertion) -> Result<DeliveryAssurance, Refusal> {
    let mut d = DeliveryAssurance::default();
    for n in a.nested_assertions() {
        if m.classify(n, &[Context::Delivery])?.is_none() {
            continue;
        }
        let g = match n.name.local.as_str() {
            "InOrder" => {
                d.in_order = true;
                continue;
            }
            "ExactlyOnce" => DeliveryGuarantee::ExactlyOnce,
            "AtLeastOnce" => DeliveryGuarantee::AtLeastOnce,
            _ => DeliveryGuarantee::AtMostOnce,
        };
        if d.guarantee.is_some() {
            return Err(refuse(
                n,
                RefusalReason::Conflict(
                    "two delivery guarantees in wsrmp:DeliveryAssurance".to_owned(),
                ),
            ));
        }
        d.guarantee = Some(g);
    }
    Ok(d)
}

/// The `Milliseconds` attribute of parameter `p` of `a` (or of `a` itself).
fn milliseconds(a: &Assertion, p: Option<&XmlElement>) -> Result<u64, Refusal> {
    let value = match p {
        Some(p) => p.attribute("", "Milliseconds"),
        None => a.attribute("", "Milliseconds"),
    };
    let bad = |why: String| match p {
        Some(p) => refuse_parameter(a, p.name(), RefusalReason::Invalid(why)),
        None => refuse(a, RefusalReason::Invalid(why)),
    };
    let Some(value) = value else {
        return Err(bad("the Milliseconds attribute is missing".to_owned()));
    };
    value
        .trim()
        .parse::<u64>()
        .map_err(|_| bad(format!("Milliseconds {value:?} is not a whole number")))
}

fn flow_control(a: &Assertion) -> Result<FlowControl, Refusal> {
    let mut f = FlowControl::default();
    for p in a.parameter_elements() {
        if p.is(ns::NET_RM_POLICY, "MaxReceiveBufferSize") {
            let text = p.text();
            f.max_receive_buffer_size = Some(text.parse::<u32>().map_err(|_| {
                refuse_parameter(
                    a,
                    p.name(),
                    RefusalReason::Invalid(format!(
                        "MaxReceiveBufferSize {text:?} is not a whole number"
                    )),
                )
            })?);
        } else {
            return Err(refuse_parameter(
                a,
                p.name(),
                RefusalReason::Invalid(format!(
                    "{} is not a parameter of net:RmFlowControl",
                    p.name().prefixed()
                )),
            ));
        }
    }
    Ok(f)
}
