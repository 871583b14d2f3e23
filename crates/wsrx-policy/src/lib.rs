//! # wsrx-policy: WS-Policy for wsrx, sans IO
//!
//! Reads the WS-Policy a WSDL or a policy document carries and turns it into a typed
//! configuration the security layer and the RM runtime can follow.
//!
//! What it does:
//! - **WS-Policy 1.5 and 1.2** ([`ns`]): `wsp:Policy`, `wsp:All`, `wsp:ExactlyOne`,
//!   nested policies, `wsp:Optional`, `wsp:Ignorable`, `wsp:PolicyReference` (local
//!   `#id` by `wsu:Id`/`xml:id`, `Name` IRIs, and external documents through a
//!   [`PolicyResolver`] the caller supplies) and `wsp:PolicyURIs`;
//! - the **normal form** ([`Policy::normalize`], [`NormalPolicy::to_xml`]) and the
//!   **intersection** of two policies in strict or lax mode
//!   ([`NormalPolicy::intersect`]);
//! - **WSDL 1.1 attachment** ([`Wsdl`]): the policy of each endpoint, operation and
//!   message;
//! - the **vocabularies** ([`vocab`]): WS-SecurityPolicy 1.1/1.2/1.3, WS-RM Policy
//!   1.0/1.1 (with the WCF and Metro extensions), WS-MakeConnection and WS-Addressing
//!   metadata, mapped to a typed [`Configuration`]; the first usable alternative is
//!   chosen and every skipped one is explained ([`Selected`]); an assertion wsrx does
//!   not implement, not marked `wsp:Ignorable`, is refused by name and place, never
//!   ignored;
//! - the **sequence binding check** ([`EndpointSettings::sequence_binding`]): whether a
//!   configuration would let a sequence escape the SCT that protects it.
//!
//! What it does not do: IO of any kind (documents come in as bytes, references
//! through the resolver), cryptography, or building and checking messages (the security
//! layer does that from the [`Configuration`]).
//!
//! Every input is bounded ([`Options`]): reference cycles, unresolved references,
//! nesting depth, size after expanding references and the number of alternatives
//! (computed before expanding) are typed [`PolicyError`]s naming the element and where
//! it sits; nothing panics or hangs.
//!
//! ```
//! use wsrx_policy::{Input, NoResolver, Options, configure_document};
//!
//! let policy = br#"<wsp:Policy xmlns:wsp="http://www.w3.org/ns/ws-policy"
//!     xmlns:wsrmp="http://docs.oasis-open.org/ws-rx/wsrmp/200702">
//!   <wsrmp:RMAssertion><wsp:Policy><wsrmp:SequenceSTR/></wsp:Policy></wsrmp:RMAssertion>
//! </wsp:Policy>"#;
//! let input = Input::read("p.xml", policy, &mut NoResolver, &Options::default()).unwrap();
//! let Input::Policies(doc) = input else { unreachable!() };
//! let configured = configure_document(&doc, &Options::default());
//! let rm = configured[0].1.as_ref().unwrap().config.value.rm.as_ref().unwrap();
//! assert_eq!(rm.sequence_binding, wsrx_policy::vocab::rm::SequenceBindingRequirement::SequenceStr);
//! ```
#![forbid(unsafe_code)]
#![allow(
    clippy::result_large_err,
    reason = "configuration-time API, never on a per-message path: errors carry the assertion's \
              name and location by design"
)]

mod binding;
mod config;
mod configuration;
mod document;
mod error;
mod expr;
#[doc(hidden)]
pub mod fuzzing;
mod intersect;
mod normal;
pub mod ns;
pub mod report;
mod source;
pub mod vocab;
mod write;
mod wsdl;
mod xml;

pub use binding::SequenceBinding;
pub use config::{
    EndpointSettings, MessageSettings, OperationSettings, PolicySettings, Selected, configure,
    configure_document, configure_wsdl, select,
};
pub use configuration::Configuration;
pub use document::{Input, PolicyDocument, PolicySubject};
pub use error::{AssertionName, Location, PolicyError, Refusal, RefusalReason, UnbindReason};
pub use expr::Policy;
pub use intersect::{IntersectionMode, Mismatch, alternatives_compatible, assertions_compatible};
pub use normal::{Alternative, Assertion, NormalPolicy};
pub use source::{Fetched, NoResolver, Options, PolicyResolver};
pub use vocab::Ignored;
pub use wsdl::{Direction, SoapVersion, Wsdl, WsdlEndpoint, WsdlMessage, WsdlOperation};
pub use xml::{XmlAttribute, XmlElement, XmlNode};
