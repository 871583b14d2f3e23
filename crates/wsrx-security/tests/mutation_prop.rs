//! Property: changing any one byte of a signed message never yields a message that
//! both verifies and passes the policy, unless what the application reads (the
//! canonical Body and every header block) is unchanged, i.e. the change was in
//! ignorable places such as whitespace between unsigned elements.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_in_result,
    reason = "test code"
)]

mod common;

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use common::{MapResolver, demo_token, unsigned_message};
use proptest::prelude::*;
use wsrx_crypto::InsecureSeededRandom;
use wsrx_security::{Policy, ScVersion, SignConfig, Signer, Verifier};
use wsrx_xml::{C14nOptions, Document, canonicalize_to_vec};

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn signed() -> &'static str {
    static S: OnceLock<String> = OnceLock::new();
    S.get_or_init(|| {
        let (token, secret) = demo_token(ScVersion::V200512);
        let doc = Document::parse(unsigned_message("pay 10").as_bytes()).unwrap();
        Signer::new(&token, &secret, SignConfig::default())
            .secure(&doc, now(), &mut InsecureSeededRandom::from_seed(5))
            .unwrap()
    })
}

/// Canonical Body and header blocks except the Security header: what RM and the
/// application read.
fn application_view(doc: &Document) -> Vec<Vec<u8>> {
    let env = wsrx_soap::Envelope::new(doc).unwrap();
    let opts = C14nOptions::default();
    let mut v: Vec<Vec<u8>> = env
        .header()
        .into_iter()
        .flat_map(|h| h.child_elements())
        .filter(|h| h.local_name() != "Security")
        .map(|h| canonicalize_to_vec(h, &opts))
        .collect();
    v.push(canonicalize_to_vec(env.body(), &opts));
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
    #[test]
    fn one_byte_mutation_never_passes_unless_harmless(pos in 0usize..10_000, byte in any::<u8>()) {
        let original = signed().as_bytes();
        let pos = pos % original.len();
        prop_assume!(original[pos] != byte);
        let mut mutated = original.to_vec();
        mutated[pos] = byte;
        let Ok(doc) = Document::parse(&mutated) else { return Ok(()) };
        let resolver = MapResolver::demo();
        let Ok(verified) = Verifier::default().verify(&doc, &resolver, now()) else { return Ok(()) };
        if Policy::default().check(&verified).is_err() {
            return Ok(());
        }
        let before = Document::parse(original).unwrap();
        prop_assert_eq!(application_view(&doc), application_view(&before), "accepted mutation at {} changed content", pos);
    }
}
