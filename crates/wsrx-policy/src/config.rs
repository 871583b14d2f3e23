//! The typed configuration and how it is chosen: the first usable alternative of a
//! policy (every skipped one with its refusal), per endpoint, operation and message of
//! a WSDL, or per policy of a policy document.
//!
//! A message's configuration is computed from the endpoint's chosen alternative merged
//! with each alternative of the operation and message policies (WS-Policy Attachment
//! 1.5 §4.1: a message's effective policy includes its endpoint's and operation's), so
//! every message of an endpoint shares its binding, token and RM settings.

use crate::binding::{SequenceBinding, assess};
use crate::configuration::Configuration;
use crate::document::PolicyDocument;
use crate::error::{PolicyError, Refusal, UnbindReason};
use crate::expr::Policy;
use crate::normal::{Alternative, NormalPolicy};
use crate::source::Options;
use crate::wsdl::{Direction, SoapVersion, Wsdl, WsdlEndpoint};

/// A value taken from one alternative of a policy, with the alternatives passed over.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected<T> {
    /// The value.
    pub value: T,
    /// Index (0-based) of the alternative it comes from.
    pub index: usize,
    /// How many alternatives the policy has.
    pub count: usize,
    /// Earlier alternatives that were not usable, with why.
    pub skipped: Vec<(usize, Refusal)>,
}

/// Maps one alternative to a configuration, or refuses it naming the assertion.
pub fn configure(alternative: &Alternative) -> Result<Configuration, Refusal> {
    crate::vocab::configure_alternative(alternative)
}

/// The configuration of the first usable alternative of `policy` (WS-Policy 1.5 §3.2:
/// any alternative may be chosen; wsrx takes the first it can honour).
pub fn select(
    policy: &NormalPolicy,
    subject: &str,
) -> Result<Selected<Configuration>, PolicyError> {
    select_with(policy, subject, configure)
}

fn select_with<T>(
    policy: &NormalPolicy,
    subject: &str,
    mut f: impl FnMut(&Alternative) -> Result<T, Refusal>,
) -> Result<Selected<T>, PolicyError> {
    let mut skipped = Vec::new();
    for (index, alternative) in policy.alternatives.iter().enumerate() {
        match f(alternative) {
            Ok(value) => {
                return Ok(Selected {
                    value,
                    index,
                    count: policy.alternatives.len(),
                    skipped,
                });
            }
            Err(refusal) => skipped.push((index, refusal)),
        }
    }
    match skipped.len() {
        0 => Err(PolicyError::NoAlternatives {
            subject: subject.to_owned(),
        }),
        1 => {
            let (_, refusal) = skipped.remove(0);
            Err(PolicyError::Refused {
                subject: subject.to_owned(),
                refusal: Box::new(refusal),
            })
        }
        _ => Err(PolicyError::NoUsableAlternative {
            subject: subject.to_owned(),
            refusals: skipped,
        }),
    }
}

/// The configuration of a policy of a policy document.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySettings {
    /// The chosen configuration.
    pub config: Selected<Configuration>,
    /// How sequences would be bound, or why they would escape their SCT.
    pub sequence_binding: Result<SequenceBinding, UnbindReason>,
}

impl PolicySettings {
    /// The configuration, refused when it would unbind a sequence from its SCT.
    pub fn check(&self, subject: &str) -> Result<&Configuration, PolicyError> {
        match &self.sequence_binding {
            Ok(_) => Ok(&self.config.value),
            Err(reason) => Err(PolicyError::WouldUnbindSequence {
                subject: subject.to_owned(),
                reason: reason.clone(),
            }),
        }
    }
}

/// Configures every subject of a policy document: `(label, settings or error)`.
pub fn configure_document(
    document: &PolicyDocument,
    options: &Options,
) -> Vec<(String, Result<PolicySettings, PolicyError>)> {
    document
        .subjects
        .iter()
        .map(|s| {
            let result = s
                .policy
                .normalize(options.max_alternatives)
                .and_then(|normal| {
                    let config = select(&normal, &s.label)?;
                    let sequence_binding =
                        assess(&config.value, &[(s.label.clone(), &config.value)]);
                    Ok(PolicySettings {
                        config,
                        sequence_binding,
                    })
                });
            (s.label.clone(), result)
        })
        .collect()
}

/// The configuration of one WSDL endpoint.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSettings {
    /// `service/port` (or `binding NAME`).
    pub label: String,
    /// `soap:address/@location`.
    pub address: Option<String>,
    /// From the WSDL binding.
    pub soap_version: Option<SoapVersion>,
    /// `wsaw:UsingAddressing` as a WSDL extension (with its `wsdl:required`).
    pub using_addressing: Option<bool>,
    /// The endpoint policy's configuration (binding, tokens, RM, addressing).
    pub endpoint: Selected<Configuration>,
    /// Per operation, per message: the full configuration of each message.
    pub operations: Vec<OperationSettings>,
    /// How sequences would be bound, or why they would escape their SCT.
    pub sequence_binding: Result<SequenceBinding, UnbindReason>,
}

impl EndpointSettings {
    /// The sequence binding, refused when the configuration would unbind a sequence
    /// from its SCT (the runtime refuses such a configuration).
    pub fn check(&self) -> Result<SequenceBinding, PolicyError> {
        self.sequence_binding
            .clone()
            .map_err(|reason| PolicyError::WouldUnbindSequence {
                subject: self.label.clone(),
                reason,
            })
    }

    /// The operation called `name`.
    pub fn operation(&self, name: &str) -> Option<&OperationSettings> {
        self.operations.iter().find(|o| o.name == name)
    }
}

/// The configuration of one operation's messages.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationSettings {
    /// `wsdl:operation/@name`.
    pub name: String,
    /// Its messages.
    pub messages: Vec<MessageSettings>,
}

impl OperationSettings {
    /// The input or output message.
    pub fn message(&self, direction: Direction) -> Option<&MessageSettings> {
        self.messages.iter().find(|m| m.direction == direction)
    }
}

/// The configuration of one message (endpoint, operation and message policies).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSettings {
    /// Input, output or fault.
    pub direction: Direction,
    /// The fault's (or input/output's) name.
    pub name: Option<String>,
    /// Its WS-Addressing action.
    pub action: Option<String>,
    /// Its SOAP action (inputs).
    pub soap_action: Option<String>,
    /// The configuration: the endpoint's chosen alternative plus the operation's and
    /// message's.
    pub config: Selected<Configuration>,
}

/// Configures every endpoint of a WSDL: `(label, settings or error)`.
pub fn configure_wsdl(
    wsdl: &Wsdl,
    options: &Options,
) -> Vec<(String, Result<EndpointSettings, PolicyError>)> {
    wsdl.endpoints
        .iter()
        .map(|e| (e.label(), configure_endpoint(wsdl, e, options)))
        .collect()
}

fn configure_endpoint(
    wsdl: &Wsdl,
    e: &WsdlEndpoint,
    options: &Options,
) -> Result<EndpointSettings, PolicyError> {
    let label = e.label();
    let normal = e.policy.normalize(options.max_alternatives)?;
    // The operation and message policies, normalized once.
    let mut candidates = Vec::new();
    for op in &e.operations {
        for m in &op.messages {
            let merged = Policy::merge(
                [&op.policy, &m.policy],
                wsdl.version,
                m.policy.location().clone(),
            );
            candidates.push(merged.normalize(options.max_alternatives)?);
        }
    }
    // The first endpoint alternative that wsrx can honour and with which every message
    // configures; an alternative some message refuses is skipped with that refusal.
    let mut skipped = Vec::new();
    let mut message_error = None;
    let mut found = None;
    for (index, alternative) in normal.alternatives.iter().enumerate() {
        let value = match configure(alternative) {
            Ok(v) => v,
            Err(refusal) => {
                skipped.push((index, refusal));
                continue;
            }
        };
        match configure_operations(&label, e, alternative, &candidates) {
            Ok(operations) => {
                found = Some((index, value, operations));
                break;
            }
            Err(err) => {
                if let Some(r) = err.refusals().first() {
                    skipped.push((index, (*r).clone()));
                }
                message_error = Some(err);
            }
        }
    }
    let Some((index, value, operations)) = found else {
        if let Some(err) = message_error {
            return Err(err);
        }
        return Err(select(&normal, &label)
            .err()
            .unwrap_or(PolicyError::NoAlternatives { subject: label }));
    };
    let endpoint = Selected {
        value,
        index,
        count: normal.alternatives.len(),
        skipped,
    };
    let application: Vec<(String, &Configuration)> = operations
        .iter()
        .flat_map(|o| {
            o.messages
                .iter()
                .filter(|m| m.direction != Direction::Fault)
                .map(move |m| {
                    (
                        format!("{} {}", o.name, direction_word(m.direction)),
                        &m.config.value,
                    )
                })
        })
        .collect();
    let sequence_binding = if application.is_empty() {
        assess(&endpoint.value, &[(label.clone(), &endpoint.value)])
    } else {
        assess(&endpoint.value, &application)
    };
    Ok(EndpointSettings {
        label,
        address: e.address.clone(),
        soap_version: e.soap_version,
        using_addressing: e.using_addressing,
        endpoint,
        operations,
        sequence_binding,
    })
}

/// Every message's configuration under the endpoint alternative `chosen`.
fn configure_operations(
    label: &str,
    e: &WsdlEndpoint,
    chosen: &Alternative,
    candidates: &[NormalPolicy],
) -> Result<Vec<OperationSettings>, PolicyError> {
    let mut candidates = candidates.iter();
    let mut operations = Vec::new();
    for op in &e.operations {
        let mut messages = Vec::new();
        for m in &op.messages {
            let Some(c) = candidates.next() else {
                return Err(PolicyError::NoAlternatives {
                    subject: format!("{label} {} {}", op.name, m.label()),
                });
            };
            let subject = format!("{label} {} {}", op.name, m.label());
            let config = select_with(c, &subject, |c| {
                let mut all = chosen.clone();
                all.assertions.extend(c.assertions.iter().cloned());
                configure(&all)
            })?;
            messages.push(MessageSettings {
                direction: m.direction,
                name: m.name.clone(),
                action: m.action.clone(),
                soap_action: m.soap_action.clone(),
                config,
            });
        }
        operations.push(OperationSettings {
            name: op.name.clone(),
            messages,
        });
    }
    Ok(operations)
}

fn direction_word(d: Direction) -> &'static str {
    match d {
        Direction::Input => "input",
        Direction::Output => "output",
        Direction::Fault => "fault",
    }
}
