//! Errors: [`TrustFault`] (what the issuer answers, mapped to WS-Trust 1.3 §11 and
//! WS-SC 1.4 §8 fault codes), [`TrustError`] (malformed WS-Trust messages).
//! Reasons are fixed texts; no secret, password or key byte is ever part of an error.

use wsrx_soap::{Fault, FaultCode};

use crate::dialect::Dialect;

/// A refusal by the token service, carried to the requester as a SOAP fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustFault {
    /// `wst:InvalidRequest`: the request was invalid or malformed.
    #[error("invalid request: {0}")]
    InvalidRequest(&'static str),
    /// `wst:FailedAuthentication`: authentication failed (no detail is given).
    #[error("authentication failed")]
    FailedAuthentication,
    /// `wst:RequestFailed`: the request failed on our side (Receiver fault).
    #[error("request failed: {0}")]
    RequestFailed(&'static str),
    /// `wst:BadRequest`: the request was understood but cannot be honoured
    /// (unsupported token type, key size, entropy mode).
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// `wsc:BadContextToken`: the context is unknown, cancelled or expired.
    #[error("bad context token")]
    BadContextToken,
    /// `wsc:RenewNeeded`: the context expired and must be renewed before use.
    #[error("context renewal needed")]
    RenewNeeded,
    /// `wsc:UnableToRenew`: the context cannot be renewed.
    #[error("unable to renew the context")]
    UnableToRenew,
}

impl TrustFault {
    /// The fault subcode `(namespace, local)` in `dialect`'s WS-Trust / WS-SC namespace.
    pub fn subcode(&self, dialect: Dialect) -> (&'static str, &'static str) {
        let wst = dialect.trust_namespace();
        let wsc = dialect.sc_version().namespace();
        match self {
            Self::InvalidRequest(_) => (wst, "InvalidRequest"),
            Self::FailedAuthentication => (wst, "FailedAuthentication"),
            Self::RequestFailed(_) => (wst, "RequestFailed"),
            Self::BadRequest(_) => (wst, "BadRequest"),
            Self::BadContextToken => (wsc, "BadContextToken"),
            Self::RenewNeeded => (wsc, "RenewNeeded"),
            Self::UnableToRenew => (wsc, "UnableToRenew"),
        }
    }

    /// True when the requester caused the fault (Sender), false for our failures.
    pub fn is_sender_fault(&self) -> bool {
        !matches!(self, Self::RequestFailed(_))
    }

    /// The SOAP fault (WS-Trust 1.3 §11 reason texts; in SOAP 1.1 the subcode is the
    /// `faultcode`, as WS-Trust's SOAP 1.1 binding does).
    pub fn to_fault(&self, dialect: Dialect) -> Fault {
        let (ns, local) = self.subcode(dialect);
        let reason = match self {
            Self::InvalidRequest(_) => "The request was invalid or malformed",
            Self::FailedAuthentication => "Authentication failed",
            Self::RequestFailed(_) => "The specified request failed",
            Self::BadRequest(_) => "The specified RequestSecurityToken is not understood",
            Self::BadContextToken => {
                "The requested context elements are insufficient or unsupported"
            }
            Self::RenewNeeded => "The provided context token has expired",
            Self::UnableToRenew => "The specified context token could not be renewed",
        };
        let code = if self.is_sender_fault() {
            FaultCode::Sender
        } else {
            FaultCode::Receiver
        };
        let mut fault = Fault::new(code, reason).with_subcode(ns, local);
        fault.subcode_as_soap11_code = true;
        fault
    }

    /// The fault named by a received SOAP fault's first subcode, if it is one of ours.
    pub fn from_fault(fault: &Fault) -> Option<Self> {
        let sub = fault.subcode()?;
        let known_ns = Dialect::ALL.iter().any(|d| {
            sub.namespace == d.trust_namespace() || sub.namespace == d.sc_version().namespace()
        });
        if !known_ns {
            return None;
        }
        Some(match sub.local.as_str() {
            "InvalidRequest" => Self::InvalidRequest("peer fault"),
            "FailedAuthentication" => Self::FailedAuthentication,
            "RequestFailed" => Self::RequestFailed("peer fault"),
            "BadRequest" => Self::BadRequest("peer fault"),
            "BadContextToken" => Self::BadContextToken,
            "RenewNeeded" => Self::RenewNeeded,
            "UnableToRenew" => Self::UnableToRenew,
            _ => return None,
        })
    }
}

/// A failure on our side that no peer caused: no randomness, or misuse of a writer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocalError {
    /// The random source failed.
    #[error("randomness unavailable")]
    Random,
    /// The caller misused the API (text for logs).
    #[error("usage error: {0}")]
    Usage(&'static str),
    /// XML writing failed (a bug in wsrx, never a peer's doing).
    #[error("XML writer error")]
    Writer,
}

impl From<wsrx_xml::WriterError> for LocalError {
    fn from(_: wsrx_xml::WriterError) -> Self {
        Self::Writer
    }
}

impl From<wsrx_crypto::CryptoError> for LocalError {
    fn from(e: wsrx_crypto::CryptoError) -> Self {
        match e {
            wsrx_crypto::CryptoError::RandomUnavailable => Self::Random,
            _ => Self::Usage("cryptographic parameter out of range"),
        }
    }
}

/// A WS-Trust message that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// Not an RST / RSTR / RSTRC of a known dialect.
    #[error("not a WS-Trust message of a known dialect")]
    NotTrust,
    /// A child is malformed, repeated or out of bounds.
    #[error("malformed WS-Trust message: {0}")]
    Malformed(&'static str),
    /// A required child is missing.
    #[error("missing {0}")]
    Missing(&'static str),
}

impl From<TrustError> for TrustFault {
    fn from(e: TrustError) -> Self {
        match e {
            TrustError::NotTrust => Self::InvalidRequest("not a WS-Trust request"),
            TrustError::Malformed(w) | TrustError::Missing(w) => Self::InvalidRequest(w),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_round_trip_through_their_subcodes() {
        for d in Dialect::ALL {
            for f in [
                TrustFault::InvalidRequest("x"),
                TrustFault::FailedAuthentication,
                TrustFault::RequestFailed("x"),
                TrustFault::BadRequest("x"),
                TrustFault::BadContextToken,
                TrustFault::RenewNeeded,
                TrustFault::UnableToRenew,
            ] {
                let soap = f.to_fault(d);
                let back = TrustFault::from_fault(&soap).unwrap();
                assert_eq!(back.subcode(d), f.subcode(d));
                assert_eq!(soap.code == FaultCode::Sender, f.is_sender_fault());
            }
        }
    }
}
