//! Faults are protected as the policy in force says (issue 18: "faults that every peer can
//! parse ... signed per the policy"): `seal_fault_under` signs (and, when the policy encrypts
//! the Body, encrypts) the fault like any reply, and the result opens under the same policy
//! and parses as the same fault; `seal_fault` keeps the default policy.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::unwrap_in_result,
    clippy::panic_in_result_fn,
    reason = "test code"
)]

use std::time::{Duration, SystemTime};

use wsrx_crypto::SecretKey;
use wsrx_rm::wire::WireProfile;
use wsrx_runtime::pipeline::{Protected, Protection, seal_fault, seal_fault_under};
use wsrx_security::{
    KeyResolver, ProtectionPolicy, ResolveError, ScVersion, SecurityContextToken, SecurityError,
    Verifier,
};
use wsrx_soap::{Envelope, Fault, FaultCode, OutboundAddressing, SoapVersion, WsaVersion};
use wsrx_xml::Document;

const ID: &str = "urn:uuid:fa017000-0000-4000-8000-000000000001";
const SECRET: [u8; 32] = [0x44; 32];

struct One;
impl KeyResolver for One {
    fn sct_secret(&self, id: &str, _: Option<&str>) -> Result<SecretKey, ResolveError> {
        if id == ID {
            Ok(SecretKey::from_slice(&SECRET))
        } else {
            Err(ResolveError::Unknown)
        }
    }
}

fn protection() -> Protection {
    Protection {
        sct: SecurityContextToken {
            version: ScVersion::V200512,
            identifier: ID.to_owned(),
            instance: None,
            wsu_id: None,
        },
        secret: SecretKey::from_slice(&SECRET),
    }
}

fn fault() -> Fault {
    SecurityError::FailedCheck.to_fault()
}

fn addressing() -> OutboundAddressing {
    OutboundAddressing::request(
        WsaVersion::V10,
        "http://www.w3.org/2005/08/addressing/anonymous",
        "",
    )
}

fn open(text: &str, policy: &ProtectionPolicy, soap: SoapVersion) -> Result<Fault, SecurityError> {
    let doc = Document::parse(text.as_bytes()).unwrap();
    let now = SystemTime::now() + Duration::from_secs(1);
    let opened = policy.open(&doc, &One, now, &Verifier::default(), Some(ID))?;
    let env = Envelope::new(opened.document()).unwrap();
    assert_eq!(env.version(), soap);
    Ok(env.fault().unwrap().unwrap())
}

#[test]
fn faults_follow_the_policy_in_force() {
    let p = protection();
    for soap in [SoapVersion::V11, SoapVersion::V12] {
        let mut encrypting = ProtectionPolicy {
            encrypt_signature: true,
            ..ProtectionPolicy::default()
        };
        encrypting.encrypted.body = true;
        let text = seal_fault_under(
            WireProfile::Rm11,
            soap,
            &addressing(),
            &fault(),
            Some(Protected {
                protection: &p,
                policy: &encrypting,
            }),
            SystemTime::now(),
        )
        .unwrap();
        assert!(
            !text.contains("FailedCheck"),
            "{soap:?}: the fault travels encrypted"
        );
        assert!(
            !text.contains("<ds:Signature"),
            "{soap:?}: and so does its signature"
        );
        let read = open(&text, &encrypting, soap).unwrap();
        assert_eq!(read.code, FaultCode::Sender);
        assert_eq!(read.reason, fault().reason);
        // A receiver whose policy encrypts does not accept the default (signed-only) fault.
        let plain = seal_fault(
            WireProfile::Rm11,
            soap,
            &addressing(),
            &fault(),
            Some(&p),
            SystemTime::now(),
        )
        .unwrap();
        assert!(plain.contains("<ds:Signature") && plain.contains("FailedCheck"));
        assert_eq!(
            open(&plain, &encrypting, soap).map(|_| ()),
            Err(SecurityError::PolicyViolation(
                "required part not encrypted"
            ))
        );
        open(&plain, &ProtectionPolicy::default(), soap).unwrap();
    }
}
