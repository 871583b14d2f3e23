//! Shared test support: the vectors folder, scripted randomness, a user table, and an
//! in-memory "wire" that carries serialized XML text between a Session and an Issuer.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use wsrx_crypto::{CryptoError, InsecureSeededRandom, SecretKey, SecureRandom};
use wsrx_sc::{
    Dialect, EntropyMode, Issuer, IssuerConfig, Reply, Session, SessionConfig, Transport,
    UsernameAuthenticator, UsernameConfig, UsernameToken, UsernameVerifier,
};
use wsrx_xml::Document;

/// The repository's `testdata/` (known-answer data with its MANIFEST.md files).
pub(crate) fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// A fixed test epoch.
pub(crate) fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
}

pub(crate) fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The PS-4 vector: (client entropy, server entropy, key size bits, expected, swapped).
pub(crate) fn ps4() -> (Vec<u8>, Vec<u8>, u32, Vec<u8>, Vec<u8>) {
    let text = std::fs::read_to_string(vectors().join("p_sha1/p_sha1.toml")).unwrap();
    let v: toml::Value = toml::from_str(&text).unwrap();
    let ps4 = v["vector"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"].as_str() == Some("PS-4"))
        .unwrap();
    let s = |k: &str| hex(ps4[k].as_str().unwrap());
    let length = u32::try_from(ps4["length"].as_integer().unwrap()).unwrap();
    (
        s("secret"),
        s("seed"),
        length * 8,
        s("expected"),
        s("negative_swapped"),
    )
}

/// Randomness whose secret draws come from a script first (then a seeded stream).
pub(crate) struct Scripted {
    pub(crate) secrets: VecDeque<Vec<u8>>,
    pub(crate) rest: InsecureSeededRandom,
}

impl Scripted {
    pub(crate) fn new(seed: u64, secrets: Vec<Vec<u8>>) -> Self {
        Self {
            secrets: secrets.into(),
            rest: InsecureSeededRandom::from_seed(seed),
        }
    }
}

impl SecureRandom for Scripted {
    fn fill_nonce(&mut self, buf: &mut [u8]) -> Result<(), CryptoError> {
        self.rest.fill_nonce(buf)
    }
    fn fill_secret(&mut self, buf: &mut [u8]) -> Result<(), CryptoError> {
        match self.secrets.pop_front() {
            Some(s) => {
                assert_eq!(s.len(), buf.len(), "scripted secret of the wrong length");
                buf.copy_from_slice(&s);
                Ok(())
            }
            None => self.rest.fill_secret(buf),
        }
    }
}

/// A user table.
pub(crate) struct Users(pub(crate) HashMap<String, String>);

impl UsernameVerifier for Users {
    fn password(&self, username: &str) -> Option<SecretKey> {
        self.0
            .get(username)
            .map(|p| SecretKey::from_slice(p.as_bytes()))
    }
}

pub(crate) type TestIssuer = Issuer<UsernameAuthenticator<Users>, Scripted>;
pub(crate) type TestSession = Session<Scripted>;

pub(crate) fn issuer(config: IssuerConfig, rng: Scripted) -> TestIssuer {
    let users = Users(HashMap::from([(
        "alice".to_owned(),
        "wonderland".to_owned(),
    )]));
    Issuer::new(
        config,
        UsernameAuthenticator::new(users, UsernameConfig::default()),
        rng,
    )
}

pub(crate) fn credentials(password: &str, digest: bool) -> UsernameToken {
    UsernameToken {
        username: "alice".to_owned(),
        password: SecretKey::from_slice(password.as_bytes()),
        digest,
    }
}

pub(crate) fn session(dialect: Dialect, entropy: EntropyMode, rng: Scripted) -> TestSession {
    Session::new(
        SessionConfig {
            dialect,
            entropy,
            credentials: Some(credentials("wonderland", true)),
            ..SessionConfig::default()
        },
        rng,
    )
}

/// Carries every queued RST to the issuer and every reply back, as XML text; returns
/// the issuer's replies.
pub(crate) fn exchange(s: &mut TestSession, i: &mut TestIssuer, now: SystemTime) -> Vec<Reply> {
    let mut replies = Vec::new();
    while let Some(tx) = s.poll_transmit() {
        let wire: String = tx.envelope.clone();
        let doc = Document::parse(wire.as_bytes()).unwrap();
        let reply = i.handle_message(now, &doc, Transport::Unprotected);
        let back = Document::parse(reply.envelope.as_bytes()).unwrap();
        s.handle_rstr(now, &back).unwrap();
        replies.push(reply);
    }
    replies
}

/// Drains a session's events.
pub(crate) fn events(s: &mut TestSession) -> Vec<wsrx_sc::SessionEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

/// Drains a session's records.
pub(crate) fn records(s: &mut TestSession) -> Vec<wsrx_sc::SctRecord> {
    std::iter::from_fn(|| s.poll_persist()).collect()
}

pub(crate) const ENDPOINT: &str = "http://service.example/rm";

/// An unsigned application envelope to `ENDPOINT`.
pub(crate) fn app_message(soap_ns: &str) -> String {
    format!(
        "<s:Envelope xmlns:s=\"{soap_ns}\" xmlns:a=\"http://www.w3.org/2005/08/addressing\"><s:Header><a:Action s:mustUnderstand=\"1\">urn:echo</a:Action><a:MessageID>urn:uuid:11111111-2222-4333-8444-555555555555</a:MessageID><a:To s:mustUnderstand=\"1\">{ENDPOINT}</a:To></s:Header><s:Body><m:Echo xmlns:m=\"urn:m\">hello</m:Echo></s:Body></s:Envelope>"
    )
}
