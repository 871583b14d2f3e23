//! WS-Addressing metadata (WS-Addressing 1.0 Metadata §3.1: `wsam:Addressing` with
//! nested `wsam:AnonymousResponses`/`wsam:NonAnonymousResponses`; the WSDL binding's
//! `wsaw:UsingAddressing`, which WCF writes as a policy assertion; and the 2004/08
//! `wsap:UsingAddressing`).

use crate::error::Location;

/// The WS-Addressing version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum AddressingVersion {
    /// W3C WS-Addressing 1.0.
    V1_0,
    /// The 2004/08 member submission.
    V2004_08,
}

/// Which responses the endpoint can send (WS-Addressing 1.0 Metadata §3.1.2, §3.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Responses {
    /// Anonymous (back-channel) and addressable responses.
    #[default]
    Any,
    /// `wsam:AnonymousResponses`: only on the back-channel.
    AnonymousOnly,
    /// `wsam:NonAnonymousResponses`: only to an addressable ReplyTo.
    NonAnonymousOnly,
}

/// What the policy says about WS-Addressing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AddressingConfig {
    /// The version.
    pub version: AddressingVersion,
    /// Which responses.
    pub responses: Responses,
    /// Where the assertion sits.
    pub location: Location,
}
