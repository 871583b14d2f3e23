//! WS-SecureConversation for wsrx: obtaining, renewing, cancelling and persisting the
//! security context tokens (SCT) that WS-RM sequences are bound to.
//!
//! Steps 1 and 2 of the flow: the RM runtime asks [`Session::token_for`] for the
//! Identifier of the endpoint's SCT; if none is established, the session first obtains
//! one from the recipient's [`Issuer`] with a WS-Trust RST/RSTR exchange. Established
//! contexts are handed to the store as [`SctRecord`]s and persisted sealed
//! ([`sealed::seal`]/[`sealed::unseal`]).
//!
//! What it does:
//! - [`trust`]: RST and RSTR codecs for WS-SC 1.3/1.4 with WS-Trust 1.3 and for the
//!   February 2005 versions ([`Dialect`], spec-facts §1.3, §3.2, §3.5);
//! - [`Issuer`] (recipient side, sans-IO): Issue with the three entropy modes
//!   ([`EntropyMode`]), Renew, Cancel, a minimal Amend, lifetimes, a [`TokenStore`] with
//!   sweeping that implements [`wsrx_security::KeyResolver`], faults mapped to
//!   [`wsrx_soap::Fault`] ([`TrustFault`]);
//! - bootstrap authentication of the Issue RST: the [`BootstrapAuthenticator`] seam and a
//!   WSS UsernameToken implementation ([`UsernameAuthenticator`], [`UsernameVerifier`]) and
//!   a mutual X.509 one ([`X509Authenticator`]) whose answers carry the key as an
//!   `xenc:EncryptedKey` for the requester's certificate;
//! - [`bootstrap`]: the X.509 symmetric bootstrap (the server's certificate as protection
//!   token, an ephemeral `xenc:EncryptedKey`, derived keys, the RST and RSTR encrypted), on
//!   both sides; the rule that no key material crosses an unprotected channel;
//! - [`Session`] (initiator side, sans-IO): single-flight establishment per endpoint,
//!   proactive renewal, cancel on shutdown, explicit loss events, records to persist;
//! - [`sealed`]: AES-256-GCM sealing of an [`EstablishedSct`] under a rotating
//!   [`wsrx_crypto::KeyRing`].
//!
//! What it does not: IO, clocks or OS randomness (`now` is an argument and the machines
//! own an injected [`wsrx_crypto::SecureRandom`]); `xenc:EncryptedKey` requester entropy
//! (the bootstrap encrypts the whole RST instead); supporting tokens inside the X.509
//! bootstrap; WCF cookie-mode SCTs; derived-key caching (keys are derived by
//! `wsrx-security` per message); storing records (`wsrx-store`).
#![forbid(unsafe_code)]

pub mod auth;
pub mod bootstrap;
mod dialect;
mod entropy;
mod error;
pub mod fuzzing;
pub mod issuer;
pub mod message;
mod sct;
pub mod sealed;
pub mod session;
pub mod store;
pub mod trust;
mod util;

pub use auth::{
    Authenticated, BootstrapAuthenticator, Principal, Transport, UsernameAuthenticator,
    UsernameConfig, UsernameToken, UsernameVerifier, X509Authenticator, X509AuthenticatorConfig,
};
pub use bootstrap::{ANONYMOUS_PRINCIPAL, EphemeralKey, X509Bootstrap};
pub use dialect::{Dialect, RequestType, WST_200502, WST_200512};
pub use entropy::EntropyMode;
pub use error::{LocalError, TrustError, TrustFault};
pub use issuer::{Issuer, IssuerConfig, Outcome, Reply};
pub use sct::{EstablishedSct, SCT_WSU_ID};
pub use sealed::SealError;
pub use session::{
    LossReason, SctRecord, Session, SessionConfig, SessionError, SessionEvent, TokenFor, Transmit,
};
pub use store::{ContextInfo, ContextStatus, StoreResolver, TokenStore};
pub use trust::{BinarySecret, Lifetime, ProofToken, Rst, Rstr, SecretType};
