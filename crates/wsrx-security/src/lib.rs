//! The `wsse:Security` header for wsrx: WS-Security 1.1 with WS-SecureConversation
//! security context tokens (SCT) and derived keys (DKT), over the streaming exclusive
//! c14n of `wsrx-xml` and the primitives of `wsrx-crypto`.
//!
//! What it does:
//! - [`token`]: [`SecurityContextToken`] and [`DerivedKeyToken`] for WS-SC 200512 and
//!   2005/02, [`SecurityTokenReference`] forms, and the [`KeyResolver`] trait through
//!   which the token service supplies SCT secrets;
//! - [`suite`]: the sixteen algorithm suites of WS-SecurityPolicy 1.2 §6.1 exactly
//!   ([`AlgorithmSuite`]), WCF's reading of the Sha256 ones by name
//!   ([`SuiteReading::WcfSha256Signatures`]), and the suite in force ([`AlgorithmPolicy`]),
//!   which inbound messages can be held to (downgrade protection);
//! - [`protection`]: the typed [`ProtectionPolicy`] (signed and encrypted parts, protection
//!   order, encrypted signature, timestamp, layout, token protection, inclusion and derived
//!   keys, suite) that drives both directions: [`Signer::with_policy`] builds a message in one
//!   pass, [`ProtectionPolicy::open`] decrypts, verifies and checks one by element identity
//!   against signature wrapping;
//! - inbound ([`Verifier`]): the security header in document order (Timestamp with a
//!   `now` argument and skew, SCT, DKT, ReferenceList, Signature), HMAC-SHA1 /
//!   HMAC-SHA256 signatures with exc-c14n references resolved by unique id, giving a
//!   [`Verified`] proof that records, per signature, the key's identity and the exact
//!   [`wsrx_xml::NodeId`]s covered; a caller-owned [`ReplayCache`];
//! - the signed-parts [`Policy`] and the outbound [`SignConfig`]: the switches wsrx had
//!   before [`ProtectionPolicy`], kept as views of it;
//! - outbound ([`Signer`]): Timestamp, SCT, one DKT per purpose with fresh nonces, a
//!   Signature and XML-Enc of the Body content, header blocks (`wsse11:EncryptedHeader`),
//!   elements and the signature, sign-then-encrypt or encrypt-then-sign, spliced into the
//!   envelope text in one pass;
//! - inbound XML-Enc ([`decrypt`], [`decryption`]), before or after verification as the
//!   protection order says;
//! - [`x509`]: X.509 certificates and a one-level [`TrustStore`], an RSA-SHA256
//!   [`X509Signer`] with a `wsse:BinarySecurityToken`, verification of such signatures
//!   ([`Verifier::with_x509_signatures`], [`Policy::check_x509`]) kept apart from SCT
//!   signatures, and [`EncryptedKey`] (RSA-OAEP-MGF1P) for the token service bootstrap;
//! - [`dsig`]: a generic XML-DSig HMAC verifier (enveloped, enveloping and detached
//!   references; exclusive and inclusive c14n) for documents outside WS-Security;
//! - one [`SecurityError`] mapped to the WSS / WS-SC faults.
//!
//! What it does not: read clocks or OS randomness (time and a
//! [`wsrx_crypto::SecureRandom`] are arguments), issue or store tokens (`wsrx-sc`),
//! certificate chains longer than one or revocation, EncryptedKey-protected message
//! parts, supporting tokens, inclusive c14n, SOAP normalization, STR-Transform or XPath
//! transforms in WS-Security signatures (refused by [`ProtectionPolicy::validate`]), or
//! any IO.
//!
//! # Interop tests
//!
//! `tests/interop_wss4j.rs` and `tests/interop_xmlsec1*.rs` run third-party verifiers
//! (the harnesses of `interop/`) as subprocesses; without them each test says
//! `skipped: needs <peer>; run interop/build.sh <peer>` and the run counts it:
//!
//! ```sh
//! interop/build.sh wss4j xmlsec      # Debian packages, as root; builds into target/
//! WSRX_REQUIRE_INTEROP=1 cargo test -p wsrx-security --test interop_wss4j --test interop_xmlsec1
//! ```
#![forbid(unsafe_code)]

pub mod decryption;
pub mod dsig;
pub mod encrypt;
mod error;
pub mod fuzzing;
mod ids;
mod keys;
pub mod ns;
pub mod policy;
pub mod protection;
pub mod replay;
pub mod sign;
mod signature;
pub mod suite;
mod time;
pub use time::{format_datetime, parse_datetime};
pub mod token;
pub mod verify;
pub mod x509;

pub use decryption::{Decrypted, Decryption, decrypt};
pub use error::{ResolveError, SecurityError};
pub use keys::{KeyIdentity, encrypted_key_identity};
pub use policy::Policy;
pub use protection::{
    Axis, Checked, DerivedKeys, ElementPath, HeaderSelector, Layout, Opened, Parts, PathStep,
    PolicyError, ProtectionOrder, ProtectionPolicy, TokenInclusion, TokenPolicy,
};
pub use replay::{ReplayCache, ReplayEntry, ReplayLimits, ReplayQuota};
pub use sign::{HeaderName, SignConfig, Signer};
pub use suite::{
    AlgorithmPolicy, AlgorithmSuite, AsymmetricSignature, Canonicalization, InboundAlgorithms,
    KeyDerivation, SuiteOptions, SuiteReading, SuiteRole, XPathDialect,
};
pub use token::{
    DerivedKeyToken, KeyResolver, ScVersion, SecurityContextToken, SecurityTokenReference,
    TokenReference,
};
pub use verify::{
    SignatureRecord, TimestampInfo, Verified, Verifier, VerifyConfig, X509SignatureRecord,
};
pub use x509::{
    Certificate, CertificateError, CertificateReference, EncryptedKey, RecipientReference,
    TrustStore, X509Credential, X509IssuerSerial, X509Signer,
};

mod util;
