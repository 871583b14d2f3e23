//! WSDL 1.1 policy attachment (WS-Policy Attachment 1.5 §4.1): the policies attached
//! to each policy subject of a WSDL 1.1 description, merged into one policy per
//! subject.
//!
//! | subject | elements whose attached policies are merged |
//! |---|---|
//! | endpoint | `wsdl:service` (its scope contains the endpoint), `wsdl:port`, `wsdl:binding`, `wsdl:portType` |
//! | operation | `wsdl:binding/wsdl:operation`, `wsdl:portType/wsdl:operation` |
//! | message | `wsdl:binding/wsdl:operation/wsdl:input` (`output`, `fault`), the same under `wsdl:portType`, and the `wsdl:message` it names |
//!
//! Policies are attached by `wsp:Policy` and `wsp:PolicyReference` children and the
//! `wsp:PolicyURIs` attribute (§3). A message's effective policy is the merge of the
//! endpoint, operation and message policies (the subjects' scopes nest, §4.1); see
//! [`crate::configure`]. Policies that are children of `wsdl:definitions` are only
//! definitions (referenced by `#id`), never attached by their position.
//! `wsdl:import`ed descriptions are read through the resolver; one that cannot be read
//! is reported as a warning (the subjects it would define are then missing).

use std::collections::HashMap;

use wsrx_xml::{Element, NodeId};

use crate::error::{Location, PolicyError};
use crate::expr::{Builder, Policy};
use crate::ns::{self, WsPolicyVersion};
use crate::source::Sources;

/// The SOAP version of a WSDL binding (`soap:binding` or `soap12:binding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum SoapVersion {
    /// SOAP 1.1 (`http://schemas.xmlsoap.org/wsdl/soap/`).
    V11,
    /// SOAP 1.2 (`http://schemas.xmlsoap.org/wsdl/soap12/`).
    V12,
}

/// The direction of a WSDL message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Direction {
    /// `wsdl:input`: client to service.
    Input,
    /// `wsdl:output`: service to client.
    Output,
    /// `wsdl:fault`: service to client.
    Fault,
}

/// The policy subjects of a WSDL 1.1 description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wsdl {
    /// The document's name.
    pub name: String,
    /// `wsdl:definitions/@targetNamespace`.
    pub target_namespace: Option<String>,
    /// `wsp:UsingPolicy/@wsdl:required`, when the description has one.
    pub using_policy: Option<bool>,
    /// One endpoint per `wsdl:port` (and per binding no port uses).
    pub endpoints: Vec<WsdlEndpoint>,
    /// Warnings gathered while reading.
    pub warnings: Vec<String>,
    /// The WS-Policy version the description's policies are written in.
    pub version: WsPolicyVersion,
}

/// An endpoint: a `wsdl:port` with its binding and portType.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsdlEndpoint {
    /// `wsdl:service/@name` (empty for a binding no port uses).
    pub service: String,
    /// `wsdl:port/@name` (empty for a binding no port uses).
    pub port: String,
    /// `wsdl:binding/@name`.
    pub binding: String,
    /// `soap:address/@location`.
    pub address: Option<String>,
    /// From `soap:binding` or `soap12:binding`.
    pub soap_version: Option<SoapVersion>,
    /// `wsaw:UsingAddressing` written as a WSDL extension on the binding or port, with
    /// its `wsdl:required`.
    pub using_addressing: Option<bool>,
    /// The endpoint policy: service, port, binding and portType policies merged.
    pub policy: Policy,
    /// The operations of the binding.
    pub operations: Vec<WsdlOperation>,
    /// Where the port (or binding) is.
    pub location: Location,
}

impl WsdlEndpoint {
    /// `service/port`, or `binding NAME` for a binding no port uses.
    pub fn label(&self) -> String {
        if self.port.is_empty() {
            format!("binding {}", self.binding)
        } else {
            format!("{}/{}", self.service, self.port)
        }
    }
}

/// An operation of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsdlOperation {
    /// `wsdl:operation/@name`.
    pub name: String,
    /// The operation policy (binding and portType operation policies merged).
    pub policy: Policy,
    /// Its input, output and faults.
    pub messages: Vec<WsdlMessage>,
}

/// A message of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsdlMessage {
    /// Input, output or fault.
    pub direction: Direction,
    /// The `name` of the input/output/fault element, if any.
    pub name: Option<String>,
    /// The WS-Addressing action (`wsam:Action`, `wsaw:Action`, `wsa:Action`).
    pub action: Option<String>,
    /// `soap:operation/@soapAction` (inputs only).
    pub soap_action: Option<String>,
    /// The message policy (binding and portType message policies and the
    /// `wsdl:message` policy merged).
    pub policy: Policy,
}

impl WsdlMessage {
    /// `input`, `output` or `fault NAME`.
    pub fn label(&self) -> String {
        Self::label_of(self.direction, self.name.as_deref())
    }

    /// `input`, `output` or `fault NAME` for a message of `direction` called `name`.
    pub fn label_of(direction: Direction, name: Option<&str>) -> String {
        match (direction, name) {
            (Direction::Input, _) => "input".to_owned(),
            (Direction::Output, _) => "output".to_owned(),
            (Direction::Fault, Some(n)) => format!("fault {n}"),
            (Direction::Fault, None) => "fault".to_owned(),
        }
    }
}

type Key = (String, String);

/// Named WSDL components of every read description: (namespace, name) → (doc, node).
#[derive(Default)]
struct Components {
    messages: HashMap<Key, (usize, NodeId)>,
    port_types: HashMap<Key, (usize, NodeId)>,
    bindings: HashMap<Key, (usize, NodeId)>,
    binding_order: Vec<Key>,
    services: Vec<(usize, NodeId)>,
}

impl Wsdl {
    /// Reads a WSDL 1.1 description.
    pub fn read(
        name: &str,
        bytes: &[u8],
        resolver: &mut dyn crate::source::PolicyResolver,
        options: &crate::source::Options,
    ) -> Result<Self, PolicyError> {
        let mut sources = Sources::new(resolver, options);
        let doc = sources.add(name, bytes)?;
        Self::from_sources(sources, doc)
    }

    pub(crate) fn from_sources(mut sources: Sources<'_>, doc: usize) -> Result<Self, PolicyError> {
        let Some(main) = sources.doc(doc) else {
            return Err(PolicyError::NoPolicy {
                document: String::new(),
                root: String::new(),
            });
        };
        let root = main.doc.root();
        if !root.is(ns::WSDL11, "definitions") {
            return Err(PolicyError::NoPolicy {
                document: main.name.clone(),
                root: format!(
                    "{{{}}}{}",
                    root.namespace().unwrap_or(""),
                    root.local_name()
                ),
            });
        }
        let mut components = Components::default();
        let mut seen = vec![doc];
        let mut todo = vec![doc];
        while let Some(d) = todo.pop() {
            let Some(source) = sources.doc(d) else {
                continue;
            };
            let defs = source.doc.root();
            if !defs.is(ns::WSDL11, "definitions") {
                sources.warnings.push(format!(
                    "{} is imported as WSDL but its document element is {}",
                    source.name,
                    defs.qualified_name()
                ));
                continue;
            }
            let tns = defs
                .attribute(None, "targetNamespace")
                .unwrap_or("")
                .to_owned();
            for c in defs
                .child_elements()
                .filter(|c| c.namespace() == Some(ns::WSDL11))
            {
                let key = (
                    tns.clone(),
                    c.attribute(None, "name").unwrap_or("").to_owned(),
                );
                match c.local_name() {
                    "import" => {
                        let Some(location) = c.attribute(None, "location") else {
                            continue;
                        };
                        match sources.external(location, d) {
                            Ok(i) if !seen.contains(&i) => {
                                seen.push(i);
                                todo.push(i);
                            }
                            Ok(_) => {}
                            Err(reason) => sources.warnings.push(format!(
                                "wsdl:import {location:?} at {} not read ({reason}); policies \
                                 attached in it are not included",
                                source.location(c)
                            )),
                        }
                    }
                    "message" => {
                        components.messages.insert(key, (d, c.id()));
                    }
                    "portType" => {
                        components.port_types.insert(key, (d, c.id()));
                    }
                    "binding" => {
                        components.binding_order.push(key.clone());
                        components.bindings.insert(key, (d, c.id()));
                    }
                    "service" => components.services.push((d, c.id())),
                    _ => {}
                }
            }
        }
        let using_policy = root
            .child_elements()
            .find(|c| {
                c.local_name() == "UsingPolicy" && c.namespace().is_some_and(ns::is_ws_policy)
            })
            .map(|c| {
                c.attribute(Some(ns::WSDL11), "required")
                    .is_some_and(|v| matches!(wsrx_xml::trim_xml_whitespace(v), "true" | "1"))
            });
        let version = main
            .doc
            .elements()
            .find_map(|e| e.namespace().and_then(WsPolicyVersion::from_namespace))
            .unwrap_or(WsPolicyVersion::V1_5);
        let mut reader = Reader {
            builder: Builder::new(&mut sources),
            components: &components,
            version,
        };
        let mut endpoints = Vec::new();
        let mut used_bindings = Vec::new();
        for &(d, service) in &components.services {
            reader.service(d, service, &mut endpoints, &mut used_bindings)?;
        }
        for key in &components.binding_order {
            if used_bindings.contains(key) {
                continue;
            }
            if let Some(&(d, b)) = components.bindings.get(key)
                && let Some(e) = reader.endpoint(None, d, b)?
            {
                endpoints.push(e);
            }
        }
        let target_namespace = root.attribute(None, "targetNamespace").map(str::to_owned);
        let name = main.name.clone();
        Ok(Self {
            name,
            target_namespace,
            using_policy,
            endpoints,
            warnings: std::mem::take(&mut sources.warnings),
            version,
        })
    }
}

struct Reader<'b, 's, 'r> {
    builder: Builder<'s, 'r>,
    components: &'b Components,
    version: WsPolicyVersion,
}

/// The (namespace, local) a QName-valued attribute names, resolved at `e`.
fn qname_value(e: Element<'_>, value: &str) -> Key {
    let value = wsrx_xml::trim_xml_whitespace(value);
    match value.split_once(':') {
        Some((p, local)) => (
            e.lookup_namespace(Some(p)).unwrap_or("").to_owned(),
            local.to_owned(),
        ),
        None => (
            e.lookup_namespace(None).unwrap_or("").to_owned(),
            value.to_owned(),
        ),
    }
}

/// The action of a portType input/output/fault.
fn action_of(e: Element<'_>) -> Option<String> {
    [
        ns::WSAM,
        ns::WSAW,
        ns::WSA10,
        ns::WSA_2004,
        ns::WSAM_DRAFT_2007_02,
    ]
    .iter()
    .find_map(|n| e.attribute(Some(n), "Action"))
    .map(|a| wsrx_xml::trim_xml_whitespace(a).to_owned())
}

impl Reader<'_, '_, '_> {
    fn element(
        &self,
        doc: usize,
        node: NodeId,
    ) -> Option<(std::rc::Rc<crate::xml::SourceDoc>, NodeId)> {
        self.builder.sources.doc(doc).map(|s| (s, node))
    }

    /// Looks a component up by QName; falls back to a unique local-name match (with a
    /// warning) when the prefix resolves to another namespace.
    fn lookup(
        &mut self,
        map: &HashMap<Key, (usize, NodeId)>,
        key: &Key,
        what: &str,
        location: &Location,
    ) -> Option<(usize, NodeId)> {
        if let Some(&found) = map.get(key) {
            return Some(found);
        }
        let same_local: Vec<&(usize, NodeId)> = map
            .iter()
            .filter(|(k, _)| k.1 == key.1)
            .map(|(_, v)| v)
            .collect();
        if let [only] = same_local.as_slice() {
            self.builder.sources.warnings.push(format!(
                "{what} {{{}}}{} at {location} not found; using the only {what} named {}",
                key.0, key.1, key.1
            ));
            return Some(**only);
        }
        None
    }

    fn service(
        &mut self,
        doc: usize,
        service: NodeId,
        endpoints: &mut Vec<WsdlEndpoint>,
        used: &mut Vec<Key>,
    ) -> Result<(), PolicyError> {
        let Some((source, _)) = self.element(doc, service) else {
            return Ok(());
        };
        let Some(s) = source.doc.element(service) else {
            return Ok(());
        };
        let service_policies = self.builder.attached(doc, service)?;
        for port in s.child_elements().filter(|c| c.is(ns::WSDL11, "port")) {
            let location = source.location(port);
            let Some(binding_attr) = port.attribute(None, "binding") else {
                return Err(PolicyError::Wsdl {
                    what: "port without a binding attribute".to_owned(),
                    location,
                });
            };
            let key = qname_value(port, binding_attr);
            let comps = self.components;
            let Some((bd, b)) = self.lookup(&comps.bindings, &key, "binding", &location) else {
                self.builder.sources.warnings.push(format!(
                    "port at {location}: binding {binding_attr} not found; the port is skipped"
                ));
                continue;
            };
            if let Some(k) = self
                .components
                .bindings
                .iter()
                .find(|(_, v)| **v == (bd, b))
                .map(|(k, _)| k.clone())
            {
                used.push(k);
            }
            let port_info = PortInfo {
                service: s.attribute(None, "name").unwrap_or("").to_owned(),
                port: port.attribute(None, "name").unwrap_or("").to_owned(),
                address: port
                    .child_elements()
                    .find(|c| {
                        c.local_name() == "address"
                            && matches!(c.namespace(), Some(ns::WSDL_SOAP11 | ns::WSDL_SOAP12))
                    })
                    .and_then(|c| c.attribute(None, "location"))
                    .map(str::to_owned),
                using_addressing: using_addressing(port),
                policies: {
                    let mut p = service_policies.clone();
                    p.extend(self.builder.attached(doc, port.id())?);
                    p
                },
                location,
            };
            if let Some(e) = self.endpoint(Some(port_info), bd, b)? {
                endpoints.push(e);
            }
        }
        Ok(())
    }

    fn endpoint(
        &mut self,
        port: Option<PortInfo>,
        doc: usize,
        binding: NodeId,
    ) -> Result<Option<WsdlEndpoint>, PolicyError> {
        let Some((source, _)) = self.element(doc, binding) else {
            return Ok(None);
        };
        let Some(b) = source.doc.element(binding) else {
            return Ok(None);
        };
        let binding_location = source.location(b);
        let mut policies = port
            .as_ref()
            .map(|p| p.policies.clone())
            .unwrap_or_default();
        policies.extend(self.builder.attached(doc, binding)?);
        let port_type = match b.attribute(None, "type") {
            Some(t) => {
                let key = qname_value(b, t);
                let found = {
                    let comps = self.components;
                    self.lookup(&comps.port_types, &key, "portType", &binding_location)
                };
                if found.is_none() {
                    self.builder.sources.warnings.push(format!(
                        "binding at {binding_location}: portType {t} not found; policies attached \
                         to it and its messages are not included"
                    ));
                }
                found
            }
            None => None,
        };
        if let Some((pd, pt)) = port_type {
            policies.extend(self.builder.attached(pd, pt)?);
        }
        let soap_version = b
            .child_elements()
            .find_map(|c| match (c.namespace(), c.local_name()) {
                (Some(ns::WSDL_SOAP11), "binding") => Some(SoapVersion::V11),
                (Some(ns::WSDL_SOAP12), "binding") => Some(SoapVersion::V12),
                _ => None,
            });
        let mut operations = Vec::new();
        for op in b.child_elements().filter(|c| c.is(ns::WSDL11, "operation")) {
            operations.push(self.operation(doc, op, port_type)?);
        }
        let (service, port_name, address, port_addressing, location) = match port {
            Some(p) => (p.service, p.port, p.address, p.using_addressing, p.location),
            None => (
                String::new(),
                String::new(),
                None,
                None,
                binding_location.clone(),
            ),
        };
        let policy = Policy::merge(&policies, self.version, location.clone());
        Ok(Some(WsdlEndpoint {
            service,
            port: port_name,
            binding: b.attribute(None, "name").unwrap_or("").to_owned(),
            address,
            soap_version,
            using_addressing: port_addressing.or_else(|| using_addressing(b)),
            policy,
            operations,
            location,
        }))
    }

    fn operation(
        &mut self,
        doc: usize,
        op: Element<'_>,
        port_type: Option<(usize, NodeId)>,
    ) -> Result<WsdlOperation, PolicyError> {
        let Some(source) = self.builder.sources.doc(doc) else {
            return Err(PolicyError::Wsdl {
                what: "document index".to_owned(),
                location: Location::default(),
            });
        };
        let name = op.attribute(None, "name").unwrap_or("").to_owned();
        let location = source.location(op);
        let mut policies = self.builder.attached(doc, op.id())?;
        let pt_source = port_type.and_then(|(d, _)| self.builder.sources.doc(d));
        let pt_op = match (&pt_source, port_type) {
            (Some(ps), Some((_, pt))) => ps.doc.element(pt).and_then(|pt| {
                pt.child_elements()
                    .find(|c| {
                        c.is(ns::WSDL11, "operation")
                            && c.attribute(None, "name") == Some(name.as_str())
                    })
                    .map(|c| c.id())
            }),
            _ => None,
        };
        if let (Some((pd, _)), Some(pto)) = (port_type, pt_op) {
            policies.extend(self.builder.attached(pd, pto)?);
        }
        let soap_action = op
            .child_elements()
            .find(|c| {
                c.local_name() == "operation"
                    && matches!(c.namespace(), Some(ns::WSDL_SOAP11 | ns::WSDL_SOAP12))
            })
            .and_then(|c| c.attribute(None, "soapAction"))
            .filter(|a| !a.is_empty())
            .map(str::to_owned);
        // The messages: the portType operation's children when known, else the binding's.
        let mut messages = Vec::new();
        let abstract_children: Vec<NodeId> = match (&pt_source, pt_op) {
            (Some(ps), Some(pto)) => ps
                .doc
                .element(pto)
                .map(|e| {
                    e.child_elements()
                        .filter(|c| is_message_element(*c))
                        .map(|c| c.id())
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let binding_children: Vec<Element<'_>> = op
            .child_elements()
            .filter(|c| is_message_element(*c))
            .collect();
        if abstract_children.is_empty() {
            for bc in &binding_children {
                let direction = direction_of(*bc);
                let mut ps = self.builder.attached(doc, bc.id())?;
                let merged = Policy::merge(
                    std::mem::take(&mut ps).iter(),
                    self.version,
                    source.location(*bc),
                );
                messages.push(WsdlMessage {
                    direction,
                    name: bc.attribute(None, "name").map(str::to_owned),
                    action: None,
                    soap_action: (direction == Direction::Input)
                        .then(|| soap_action.clone())
                        .flatten(),
                    policy: merged,
                });
            }
        } else if let (Some(ps), Some((pd, _))) = (pt_source.clone(), port_type) {
            for ac in abstract_children {
                let Some(a) = ps.doc.element(ac) else {
                    continue;
                };
                let direction = direction_of(a);
                let name_attr = a.attribute(None, "name");
                let matching = binding_children.iter().find(|bc| {
                    direction_of(**bc) == direction
                        && (direction != Direction::Fault
                            || bc.attribute(None, "name") == name_attr)
                });
                let mut parts = self.builder.attached(pd, ac)?;
                if let Some(bc) = matching {
                    parts.extend(self.builder.attached(doc, bc.id())?);
                }
                if let Some(m) = a.attribute(None, "message") {
                    let key = qname_value(a, m);
                    let at = ps.location(a);
                    if let Some((md, mn)) = {
                        let comps = self.components;
                        self.lookup(&comps.messages, &key, "message", &at)
                    } {
                        parts.extend(self.builder.attached(md, mn)?);
                    }
                }
                messages.push(WsdlMessage {
                    direction,
                    name: name_attr.map(str::to_owned),
                    action: action_of(a),
                    soap_action: (direction == Direction::Input)
                        .then(|| soap_action.clone())
                        .flatten(),
                    policy: Policy::merge(&parts, self.version, ps.location(a)),
                });
            }
        }
        Ok(WsdlOperation {
            name,
            policy: Policy::merge(&policies, self.version, location),
            messages,
        })
    }
}

struct PortInfo {
    service: String,
    port: String,
    address: Option<String>,
    using_addressing: Option<bool>,
    policies: Vec<Policy>,
    location: Location,
}

fn is_message_element(e: Element<'_>) -> bool {
    e.namespace() == Some(ns::WSDL11) && matches!(e.local_name(), "input" | "output" | "fault")
}

fn direction_of(e: Element<'_>) -> Direction {
    match e.local_name() {
        "input" => Direction::Input,
        "output" => Direction::Output,
        _ => Direction::Fault,
    }
}

/// `wsaw:UsingAddressing` as a WSDL extension element, with its `wsdl:required`.
fn using_addressing(e: Element<'_>) -> Option<bool> {
    e.child_elements()
        .find(|c| {
            c.local_name() == "UsingAddressing"
                && matches!(c.namespace(), Some(ns::WSAW | ns::WSAP_2004))
        })
        .map(|c| {
            c.attribute(Some(ns::WSDL11), "required")
                .is_some_and(|v| matches!(wsrx_xml::trim_xml_whitespace(v), "true" | "1"))
        })
}
